"""What the user sees when the model misbehaves: retries first, then the text so far and a note."""

from __future__ import annotations

import asyncio

import openai
import pytest

from llm import ModelError
from llm.circuit_breaker import CircuitBreakerModel, ModelUnavailableError
from llm.openai_model import OpenAIChatModel
from streaming.notes import STOP_NOTES
from streaming.outcome import StopReason
from tests.conftest import StartBot
from tests.support.activities import user_message
from tests.support.bot import BotClient
from tests.support.connector import RecordingConnector
from tests.support.model_server import ModelServer

FAST_RETRIES = {"MODEL_MAX_RETRIES": "2"}


async def ask(bot: BotClient, connector: RecordingConnector, text: str = "hi", count: int = 1) -> list[str]:
    await bot.post_activity(user_message(text, connector.url, channel_id="emulator", conversation_type=None))
    return await connector.wait_for_answers(count)


async def test_429_and_5xx_before_the_first_token_are_retried(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.fail_first = [429, 503]
    model_server.retry_after = 0.2
    bot = await start_bot({**model_env, **FAST_RETRIES})
    assert await ask(bot, connector) == [model_server.answer]
    assert len(model_server.requests) == 3


async def test_model_failing_every_time_gets_a_clear_note(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.fail_with_status = 500
    bot = await start_bot({**model_env, "MODEL_MAX_RETRIES": "1"})
    assert await ask(bot, connector) == [
        "_(The answer ended early: the model service answered HTTP 500. Please try again.)_"
    ]
    assert len(model_server.requests) == 2  # one try and one retry, then the user is told


async def test_disconnect_mid_answer_keeps_the_text_and_adds_a_note(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.disconnect_after = 5
    bot = await start_bot(model_env)
    [answer] = await ask(bot, connector)
    partial = "".join(model_server.tokens[:5])
    assert answer.startswith(f"{partial}\n\n_(The answer ended early: ")
    assert len(model_server.requests) == 1  # not retried: the user already has part of it


async def test_a_stream_that_ends_without_its_end_marker_is_not_a_complete_answer(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    # A proxy or server that closes the body cleanly mid-answer: the text so far is not the answer.
    model_server.end_after = 5
    bot = await start_bot(model_env)
    [answer] = await ask(bot, connector)
    partial = "".join(model_server.tokens[:5])
    note = "_(The answer ended early: the connection to the model service broke. Please try again.)_"
    assert answer == f"{partial}\n\n{note}"


async def test_silent_model_ends_the_answer_with_a_note(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.hang_after = 3
    bot = await start_bot({**model_env, "MODEL_IDLE_TIMEOUT_SECONDS": "0.5"})
    [answer] = await ask(bot, connector)
    partial = "".join(model_server.tokens[:3])
    assert answer == f"{partial}\n\n{STOP_NOTES[StopReason.MODEL_SILENT]}"
    await asyncio.wait_for(model_server.disconnected.wait(), timeout=5)  # the request was closed


async def test_circuit_breaker_answers_at_once_while_the_model_is_down(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.fail_with_status = 500
    env = {**model_env, "MODEL_MAX_RETRIES": "0", "MODEL_BREAKER_FAILURES": "2"}
    bot = await start_bot(env)
    await ask(bot, connector, "one", 1)
    await ask(bot, connector, "two", 2)
    bubbles = await ask(bot, connector, "three", 3)
    assert bubbles[-1] == (
        "_(The answer ended early: the model service is unavailable right now. Please try again.)_"
    )
    assert len(model_server.requests) == 2  # the third question never reached the model


class _Clock:
    """A clock the test moves by hand, so the cool-down needs no waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _collect(breaker: CircuitBreakerModel) -> str:
    deltas = breaker.stream_chat([{"role": "user", "content": "hi"}])
    return "".join([delta async for delta in deltas if isinstance(delta, str)])


async def test_circuit_closes_again_after_the_cooldown(model_server: ModelServer) -> None:
    clock = _Clock()
    client = openai.AsyncOpenAI(api_key="k", base_url=f"{model_server.url}/v1", max_retries=0)
    model = OpenAIChatModel(client, "m", temperature=0.5)
    breaker = CircuitBreakerModel(model, failure_threshold=2, cooldown=30.0, clock=clock)
    model_server.fail_with_status = 500
    for _ in range(2):
        with pytest.raises(ModelError, match="HTTP 500"):
            await _collect(breaker)
    clock.now = 29.0
    with pytest.raises(ModelUnavailableError):
        await _collect(breaker)
    assert len(model_server.requests) == 2  # refused without calling the model

    clock.now = 31.0  # cooled down: one request goes through, and its success closes the circuit
    model_server.fail_with_status = None
    assert await _collect(breaker) == model_server.answer
    assert not breaker.is_open
    await breaker.close()
