"""200 conversations over three instances, some interrupted, one instance killed: nothing is lost.

Three `python app.py` on one Redis behind HAProxy. Every conversation asks one question; one in
twenty asks a second while the first answer streams (half of them before, half after the kill);
one instance is killed (`kill -9`) while the answers stream. In the end every question has its
answer in the history exactly once, every stream has its final, and no chat ever had two open
streams or a 429 (the connector fixture checks those).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.instances.conftest import StartInstances
from tests.instances.conversations import messages, open_streams, saved_history, streams
from tests.support.connector import RecordingConnector
from tests.support.instances import BotInstances
from tests.support.model_server import ModelServer
from tests.support.redis_servers import shared_redis_prefix

CONVERSATIONS = 200
INTERRUPTED = CONVERSATIONS // 20
LEASES = {"CONVERSATION_LEASE_SECONDS": "4", "LEASE_HEARTBEAT_SECONDS": "1"}
FIRST_ANSWER = [f" word{number}" for number in range(50)]  # 5 s at the server's pace
SECOND_ANSWER = [f" again{number}" for number in range(20)]


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """The instances' key prefix on the shared Redis, so that the test can read their state."""
    with shared_redis_prefix() as prefix:
        yield prefix


def answers(messages: list[dict[str, Any]]) -> list[str]:
    return SECOND_ANSWER if messages[-1]["content"].startswith("second") else FIRST_ANSWER


def conversation_id(number: int) -> str:
    return f"conv-load-{number:03d}"


async def ask(bots: BotInstances, text: str, number: int) -> str:
    """Post one user's message through the balancer until an instance takes it (as the channel
    retries a 5xx); the instance that did."""
    sender = {"id": f"user-{number}", "name": f"User {number}"}
    while True:
        delivery = await bots.say(text, conversation_id(number), sender=sender)
        if delivery.status == 201:
            return delivery.instance
        assert delivery.status >= 500, delivery


def answered(connector: RecordingConnector, number: int) -> int:
    """How many answers the user has got in conversation `number`: finished streams and messages."""
    conversation = conversation_id(number)
    finished = sum(stream.final is not None for stream in streams(connector, conversation))
    return finished + len(messages(connector, conversation))


async def test_two_hundred_conversations_lose_nothing_when_an_instance_is_killed_while_they_stream(
    start_instances: StartInstances,
    connector: RecordingConnector,
    model_server: ModelServer,
    redis_prefix: str,
) -> None:
    model_server.token_delay = 0.1
    model_server.answer_with = answers
    bots = await start_instances({"REDIS_KEY_PREFIX": redis_prefix, **LEASES})
    questions: dict[int, list[str]] = {number: [f"first {number}"] for number in range(CONVERSATIONS)}

    takers = await asyncio.gather(*(ask(bots, questions[n][0], n) for n in range(CONVERSATIONS)))
    print(f"\nfirst questions taken: {dict(Counter(takers))}")
    await connector.wait_until(lambda: len(streams(connector)) >= CONVERSATIONS // 2, within=30)

    interrupted = range(0, CONVERSATIONS, CONVERSATIONS // INTERRUPTED)
    before, after = list(interrupted)[: INTERRUPTED // 2], list(interrupted)[INTERRUPTED // 2 :]
    for number in interrupted:
        questions[number].append(f"second {number}")
    await asyncio.gather(*(ask(bots, f"second {n}", n) for n in before))
    killed = Counter(takers).most_common(1)[0][0]
    bots.kill(killed)
    await asyncio.gather(*(ask(bots, f"second {n}", n) for n in after))

    def all_answered() -> bool:
        return all(answered(connector, n) >= len(questions[n]) for n in range(CONVERSATIONS))

    await connector.wait_until(all_answered, within=60)
    assert open_streams(connector) == []
    outcomes: Counter[str] = Counter()
    for number in range(CONVERSATIONS):
        asked = questions[number]
        history = await saved_history(redis_prefix, conversation_id(number), 2 * len(asked))
        assert [entry["content"] for entry in history[0::2]] == asked, history
        for question, answer in zip(history[0::2], history[1::2], strict=True):
            assert question["role"] == "user" and answer["role"] == "assistant"
            outcomes[answer["outcome"]] += 1
    print(f"killed {killed}; answers by outcome: {dict(outcomes)}")
    assert outcomes["recovered"] > 0, "the killed instance was answering nothing: the test proved nothing"
    assert outcomes["interrupted"] > 0
