"""The model's circuit breaker is each instance's own (see llm/circuit_breaker.py for why): an
instance that cannot reach the model opens its breaker and answers at once that the model is
unavailable, while the other instances, which reach it, go on answering."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.serving import free_port
from tests.instances.conftest import StartInstances
from tests.support.bot_process import BotProcess
from tests.support.connector import RecordingConnector, is_final, is_message
from tests.support.model_server import ModelServer

UNAVAILABLE_NOTE = "_(The answer ended early: the model service is unavailable right now. Please try again.)_"


def answered(connector: RecordingConnector, number: int) -> bool:
    """Whether the answer in conv-`number` has ended (its final, or a message)."""
    return any(
        item.path.split("/")[3] == f"conv-{number}" and (is_final(item) or is_message(item))
        for item in connector.accepted()
    )


async def circuit_open(bot: BotProcess) -> float:
    """The instance's `bot_model_circuit_open` gauge (1 while its breaker refuses model requests)."""
    async with aiohttp.ClientSession() as session, session.get(f"{bot.url}/metrics") as response:
        text = await response.text()
    families = {family.name: family for family in text_string_to_metric_families(text)}
    return families["bot_model_circuit_open"].samples[0].value


async def test_an_instance_that_cannot_reach_the_model_opens_only_its_own_breaker(
    start_instances: StartInstances, connector: RecordingConnector, model_server: ModelServer
) -> None:
    model_server.token_delay = 0.0
    # bot2 is set up wrongly (as in a rolling deploy with a bad setting): nothing listens there.
    unreachable = {"OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1"}
    bots = await start_instances(
        {"MODEL_BREAKER_FAILURES": "1", "MODEL_MAX_RETRIES": "0"}, overrides={"bot2": unreachable}
    )

    # Each question in a chat of its own, from a user of its own: only the breaker decides. Two
    # rounds over the three instances; bot2's first answer has failed before the second round.
    took = []
    for round_start in (0, 3):
        for number in range(round_start, round_start + 3):
            sender = {"id": f"user-{number}", "name": f"User {number}"}
            delivery = await bots.say(f"question {number}", f"conv-{number}", sender=sender)
            assert delivery.status == 201
            took.append(delivery.instance)
        await connector.wait_until(lambda n=round_start: answered(connector, n + 1))
    assert took == ["bot1", "bot2", "bot3"] * 2
    await connector.wait_until(lambda: all(answered(connector, number) for number in range(6)))

    answers = {number: connector.bubbles(f"conv-{number}")[0] for number in range(6)}
    # bot2's first answer failed on the model and opened its breaker; its second was refused at once.
    assert answers[1] != model_server.answer
    assert answers[4] == UNAVAILABLE_NOTE
    # The others never failed, so they never refused: every answer of theirs is the model's.
    assert [answers[number] for number in (0, 2, 3, 5)] == [model_server.answer] * 4
    assert [await circuit_open(bots.instances[name]) for name in ("bot1", "bot2", "bot3")] == [0, 1, 0]
    assert len(model_server.requests) == 4
