"""Streaming that never loses an answer: what the user ends up seeing when the channel misbehaves.

The bot runs for real against a local Teams-like connector that enforces the stream rules and
injects faults, and a local OpenAI-compatible model server. Limits are short so the suite is fast.
"""

from __future__ import annotations

import asyncio
import re
import time

from streaming.notes import STOP_NOTES
from streaming.outcome import StopReason
from tests.conftest import StartBot
from tests.support.activities import user_message
from tests.support.connector import Fault, Received, RecordingConnector, is_final, is_stream_update
from tests.support.model_server import ModelServer

WORDS = [f" word{number}" for number in range(40)]


def slow_answer(model_server: ModelServer, tokens: list[str] = WORDS, delay: float = 0.1) -> None:
    model_server.tokens = tokens
    model_server.token_delay = delay


async def test_message_is_acknowledged_before_the_answer_is_done(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    slow_answer(model_server)
    bot = await start_bot(model_env)
    status, _ = await bot.post_activity(user_message("long one", connector.url))
    assert status == 201
    assert not any(is_final(item) for item in connector.received), "the request waited for the answer"
    assert await connector.wait_for_answers() == [model_server.answer]


async def test_429_is_honoured_and_the_answer_completes(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    slow_answer(model_server)
    connector.rate_limit_interval = 1.0
    connector.faults = [Fault(is_stream_update, 429, code="Throttled", retry_after=2.0)]
    bot = await start_bot(model_env)
    await bot.post_activity(user_message("hi", connector.url))
    assert await connector.wait_for_answers() == [model_server.answer]

    throttled = next(item for item in connector.received if item.status == 429)
    after = connector.received[connector.received.index(throttled) + 1]
    assert after.received_at - throttled.received_at >= 2.0  # Retry-After honoured
    assert [item.status for item in connector.received].count(429) == 1  # and no 429 of our own


async def test_transient_failures_of_updates_and_final_are_retried(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    slow_answer(model_server, delay=0.05)
    connector.faults = [
        Fault(is_stream_update, 502),
        Fault(is_stream_update, 412),
        Fault(is_final, 504, times=2),
    ]
    bot = await start_bot(model_env)
    await bot.post_activity(user_message("hi", connector.url))
    assert await connector.wait_for_answers() == [model_server.answer]
    assert [item.status for item in connector.received if is_final(item)] == [504, 504, 201]


async def test_failing_updates_still_deliver_the_whole_answer(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    slow_answer(model_server, delay=0.05)
    connector.faults = [Fault(is_stream_update, 500, times=1000)]
    bot = await start_bot(model_env)
    await bot.post_activity(user_message("hi", connector.url))
    assert await connector.wait_for_answers() == [model_server.answer]
    assert is_final(connector.received[-1])  # the final carried what the updates could not


async def test_errors_without_a_body_are_failures_like_any_other(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    # msrest builds the SDK's ErrorResponseException from the body, or else from the response's
    # raise_for_status(): a body-less 404 or 502 must not turn into an AttributeError.
    slow_answer(model_server, delay=0.05)
    connector.faults = [Fault(is_stream_update, 502, times=1000, bare=True)]
    bot = await start_bot(model_env)
    await bot.post_activity(user_message("hi", connector.url))
    assert await connector.wait_for_answers() == [model_server.answer]
    assert is_final(connector.received[-1])
    await bot.answers_done()
    metrics = await bot.metrics()
    assert metrics[("bot_active_answers", ())] == 0
    assert metrics[("bot_answers_total", (("outcome", "complete"),))] == 1


async def test_failing_stream_and_final_deliver_the_answer_as_a_message(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    slow_answer(model_server, delay=0.05)
    connector.faults = [
        Fault(lambda item: item.stream_info is not None and item.stream_info.get("streamId"), 500, times=1000)
    ]
    bot = await start_bot({**model_env, "DELIVERY_DEADLINE_SECONDS": "1"})
    await bot.post_activity(user_message("hi", connector.url))
    # The stream shows only "Thinking…"; the answer arrives whole as a message.
    assert await connector.wait_for_answers() == [model_server.answer]
    assert connector.accepted()[-1].stream_info is None


async def test_stop_ends_the_stream_and_cancels_the_model(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    slow_answer(model_server, delay=0.15)
    connector.stop_after_requests = 3  # the user presses Stop after the start and two updates
    bot = await start_bot(model_env)
    await bot.post_activity(user_message("hi", connector.url))

    await connector.wait_until(lambda: any(item.status == 403 for item in connector.received))
    stopped_at = time.monotonic()
    await asyncio.wait_for(model_server.disconnected.wait(), timeout=5)
    assert time.monotonic() - stopped_at < 1.0, "the model kept generating after Stop"

    refused = next(item for item in connector.received if item.status == 403)
    [bubble] = connector.bubbles()
    assert model_server.answer.startswith(bubble) and bubble != model_server.answer
    # Nothing more on the stream after the refusal, and no extra message either.
    assert connector.received[-1] is refused

    # The history records what the user saw, so the next question carries it.
    connector.stop_after_requests = None
    await bot.post_activity(user_message("and then?", connector.url, conversation_id=_conversation(refused)))
    await connector.wait_for_answers(1)
    await connector.wait_until(lambda: len(model_server.requests) == 2)
    assert {"role": "assistant", "content": bubble} in model_server.requests[1].body["messages"]


async def test_silent_model_keeps_the_stream_alive_so_stop_is_noticed(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.first_token_delay = 30.0  # the model thinks for a long time
    connector.stop_after_requests = 2
    bot = await start_bot({**model_env, "STREAM_KEEPALIVE_SECONDS": "1"})
    await bot.post_activity(user_message("hard question", connector.url))
    await asyncio.wait_for(model_server.disconnected.wait(), timeout=10)
    informative = [item for item in connector.received if item.stream_info["streamType"] == "informative"]
    assert len(informative) == 3  # the start, one keep-alive, and the one refused after Stop
    assert informative[1].received_at - informative[0].received_at >= 1.0


async def test_new_message_interrupts_the_answer_in_progress(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    slow_answer(model_server, delay=0.1)
    bot = await start_bot(model_env)
    first = user_message("first question", connector.url)
    await bot.post_activity(first)
    await connector.wait_until(lambda: any(is_stream_update(item) for item in connector.received))

    slow_answer(model_server, tokens=["Second", " answer."], delay=0.0)
    second = user_message("second question", connector.url, conversation_id=first["conversation"]["id"])
    await bot.post_activity(second)
    bubbles = await connector.wait_for_answers(2)

    interrupted, answered = bubbles
    partial = interrupted.removesuffix(f"\n\n{STOP_NOTES[StopReason.NEW_MESSAGE]}")
    assert partial != interrupted
    assert "".join(WORDS).startswith(partial) and partial != "".join(WORDS)
    assert answered == "Second answer."
    assert model_server.disconnected.is_set()  # the first model request was closed
    # Never two streams at once: the first stream's final came before anything of the second answer
    # (here one message: it was complete before the conversation's pace allowed a new stream).
    first_final = next(item for item in connector.received if is_final(item))
    after = connector.received[connector.received.index(first_final) + 1 :]
    assert [item.activity["text"] for item in after] == ["Second answer."]


async def test_long_stream_finishes_before_the_time_limit_and_continues(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    slow_answer(model_server, delay=0.1)  # about 4 s of answer
    connector.stream_time_limit = 2.0
    bot = await start_bot({**model_env, "STREAM_MAX_SECONDS": "1.8"})
    await bot.post_activity(user_message("tell me everything", connector.url))
    await connector.wait_until(lambda: _answered_in_full(connector, model_server.answer))
    bubbles = connector.bubbles()
    assert len(bubbles) >= 2
    assert all(item.accepted for item in connector.received)  # the limit was avoided, not hit


async def test_long_answer_is_split_before_the_size_limit(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    # Each token is 6 UTF-16 units (the emoji counts twice): 40 tokens are 240 units.
    slow_answer(model_server, tokens=[" ab😀cd" for _ in range(40)], delay=0.02)
    connector.max_text_utf16 = 120
    bot = await start_bot({**model_env, "MESSAGE_MAX_UTF16": "100"})
    await bot.post_activity(user_message("hi", connector.url))
    await connector.wait_until(lambda: _answered_in_full(connector, model_server.answer))
    bubbles = connector.bubbles()
    assert len(bubbles) >= 3
    assert all(len(bubble.encode("utf-16-le")) // 2 <= 100 for bubble in bubbles)
    assert all(item.accepted for item in connector.received)


async def test_streaming_refused_downgrades_to_one_message(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    connector.refuse_streaming = True
    bot = await start_bot(model_env)
    await bot.post_activity(user_message("hi", connector.url))
    assert await connector.wait_for_answers() == [model_server.answer]
    refused = [item for item in connector.received if item.status == 405]
    assert len(refused) == 1  # one refusal, then no more stream sends


async def test_updates_never_end_inside_a_code_fence_or_table_row(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    answer = (
        "Here:\n\n```python\nprint('hello')\nprint('world')\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nDone."
    )
    slow_answer(model_server, tokens=re.findall(r"\s*\S+|\s+", answer), delay=0.08)
    bot = await start_bot({**model_env, "WEBCHAT_STREAM_INTERVAL": "0.1"})
    await bot.post_activity(user_message("code", connector.url, channel_id="webchat", conversation_type=None))
    assert await connector.wait_for_answers() == [answer]
    updates = [item.activity["text"] for item in connector.received if is_stream_update(item)]
    assert len(updates) >= 5
    for text in updates:
        assert text.count("```") % 2 == 0, f"update ends inside a code fence: {text!r}"
        assert not text.rsplit("\n", 1)[-1].lstrip().startswith("|"), f"update ends in a table row: {text!r}"


def _answered_in_full(connector: RecordingConnector, answer: str) -> bool:
    """The bubbles add up to `answer` and no stream is left open."""
    starts = {item.reply_id for item in connector.accepted() if item.reply_id and item.stream_info}
    ended = {item.reply_id for item in connector.accepted() if is_final(item)}
    return "".join(connector.bubbles()) == answer and starts <= ended


def _conversation(item: Received) -> str:
    return item.path.split("/")[3]
