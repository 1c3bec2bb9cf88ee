"""The bot against the streams real model servers send: what the user ends up with, exactly.

Each test replays a recorded body (tests/llm/compat/recordings.py) to the bot's real `openai`
client over loopback, and reads what a Teams personal chat received at the recording connector.
A second question then shows what the bot keeps in its history: the next request's messages.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from streaming.notes import CUT_OFF_NOTES, REASONING_TEXT, STOP_NOTES
from streaming.outcome import StopReason
from tests.conftest import StartBot
from tests.llm.compat import recordings
from tests.llm.compat.recordings import ANSWER, LONG_ANSWER_WORDS, REASONING_MARKS
from tests.support.activities import user_message
from tests.support.bot import BotClient
from tests.support.connector import RecordingConnector
from tests.support.replay_server import Recording, ReplayServer

IDLE_TIMEOUT = 1.5
"""The model idle timeout in these tests; the reasoning phases last twice as long."""
REASONING_SECONDS = 2 * IDLE_TIMEOUT
REASONING_UPDATE = re.compile(rf"{REASONING_TEXT}( \([1-9][0-9]* s\))?")
QUESTION = "Why stream answers?"
FOLLOW_UP = "Really?"
BROKE = "_(The answer ended early: the connection to the model service broke. Please try again.)_"
ERROR_MID_ANSWER = (
    "_(The answer ended early: the model service reported an error mid-answer. Please try again.)_"
)


def openai_env(replay: ReplayServer) -> dict[str, str]:
    return {
        "OPENAI_BASE_URL": f"{replay.url}/v1",
        "OPENAI_MODEL": "replayed-model",
        "MODEL_IDLE_TIMEOUT_SECONDS": f"{IDLE_TIMEOUT}",
        "STREAM_KEEPALIVE_SECONDS": "1",
    }


def azure_env(replay: ReplayServer) -> dict[str, str]:
    return {
        "AZURE_OPENAI_ENDPOINT": replay.url,
        "AZURE_OPENAI_API_KEY": "azure-test-key",
        "AZURE_OPENAI_DEPLOYMENT": "chat",
        "OPENAI_API_VERSION": "2024-10-21",
        "MODEL_IDLE_TIMEOUT_SECONDS": f"{IDLE_TIMEOUT}",
    }


async def converse(
    bot: BotClient, connector: RecordingConnector, replay: ReplayServer, **channel: Any
) -> tuple[str, list[dict[str, str]]]:
    """Ask, then ask again in the same conversation: the first answer the user sees, and the
    messages the model got with the second question (the history). The follow-up is answered in
    its HTTP response (`expectReplies`), which takes no stream's pace."""
    conversation = "conv-compat"
    await bot.post_activity(user_message(QUESTION, connector.url, conversation_id=conversation, **channel))
    [answer] = await connector.wait_for_answers(1)
    await bot.answers_done()
    follow_up = user_message(
        FOLLOW_UP, connector.url, conversation_id=conversation, delivery_mode="expectReplies", **channel
    )
    status, body = await bot.post_activity(follow_up)
    replies = [reply["text"] for reply in body["activities"] if reply["type"] == "message"]
    assert (status, replies) == (200, ["Yes."])  # (the Emulator also gets the SDK's trace activities)
    return answer, replay.requests[1]["messages"]


def informative_texts(connector: RecordingConnector) -> list[str]:
    return [
        item.activity["text"]
        for item in connector.accepted()
        if item.stream_info and item.stream_info.get("streamType") == "informative"
    ]


def assert_no_reasoning_shown_or_kept(connector: RecordingConnector, history: list[dict[str, str]]) -> None:
    seen = [item.activity.get("text") or "" for item in connector.received]
    kept = [message["content"] for message in history]
    for mark in REASONING_MARKS:
        assert not [text for text in seen if mark in text], f"reasoning reached the user: {mark!r}"
        assert not [text for text in kept if mark in text], f"reasoning kept in the history: {mark!r}"


def assert_history(history: list[dict[str, str]], answer: str) -> None:
    *_, asked, answered, follow_up = history
    assert asked == {"role": "user", "content": QUESTION}
    assert answered == {"role": "assistant", "content": answer}
    assert follow_up == {"role": "user", "content": FOLLOW_UP}


COMPLETE_ANSWERS = {
    "openai": recordings.openai(),
    "azure-async-filter": recordings.azure(),
    "xinference-crlf": recordings.xinference_crlf(),
    "tgi-data-without-space": recordings.tgi_no_space(),
    "ollama-think-in-content": recordings.ollama_think_in_content(),
    "vllm-think-in-content": recordings.vllm_think_in_content(),
}


@pytest.mark.parametrize("recording", COMPLETE_ANSWERS.values(), ids=COMPLETE_ANSWERS.keys())
async def test_a_complete_answer_reaches_the_user_word_for_word(
    start_bot: StartBot, connector: RecordingConnector, replay: ReplayServer, recording: Recording
) -> None:
    replay.recordings = [recording, recordings.short_answer()]
    bot = await start_bot(openai_env(replay))
    answer, history = await converse(bot, connector, replay)
    assert answer == ANSWER
    assert_history(history, ANSWER)
    assert_no_reasoning_shown_or_kept(connector, history)


async def test_azure_answers_through_its_deployment_route(
    start_bot: StartBot, connector: RecordingConnector, replay: ReplayServer
) -> None:
    replay.recordings = [recordings.azure(), recordings.short_answer()]
    bot = await start_bot(azure_env(replay))
    answer, history = await converse(bot, connector, replay)
    assert answer == ANSWER
    assert_history(history, ANSWER)


REASONING_MODELS = {
    "ollama-reasoning": recordings.ollama_reasoning(REASONING_SECONDS),
    "vllm-reasoning-content": recordings.vllm_reasoning_content(REASONING_SECONDS),
    "openrouter-processing": recordings.openrouter_processing_then_reasoning(
        IDLE_TIMEOUT + 0.5, REASONING_SECONDS
    ),
}


@pytest.mark.parametrize("recording", REASONING_MODELS.values(), ids=REASONING_MODELS.keys())
async def test_a_model_that_reasons_longer_than_the_idle_timeout_is_not_cut_off(
    start_bot: StartBot, connector: RecordingConnector, replay: ReplayServer, recording: Recording
) -> None:
    replay.recordings = [recording, recordings.short_answer()]
    bot = await start_bot(openai_env(replay))
    answer, history = await converse(bot, connector, replay)
    assert answer == ANSWER  # not "The model stopped responding"
    assert_history(history, ANSWER)
    assert_no_reasoning_shown_or_kept(connector, history)
    # While it reasoned, the user saw that it does, and for how long, before any answer text.
    first_answer = informative_texts(connector)
    assert first_answer[0] == "Thinking…"
    reasoning = [text for text in first_answer if text.startswith(REASONING_TEXT)]
    assert all(REASONING_UPDATE.fullmatch(text) for text in reasoning), first_answer
    assert any(text.endswith(" s)") for text in reasoning), first_answer


async def test_reasoning_longer_than_a_stream_may_last_goes_on_in_a_new_stream(
    start_bot: StartBot, connector: RecordingConnector, replay: ReplayServer
) -> None:
    # A stream that only showed the status line has no text to be finished with: Teams ends it
    # (403 after its time limit) and the status goes on in a new stream, then the answer.
    connector.stream_time_limit = 2.5
    replay.recordings = [recordings.ollama_reasoning(REASONING_SECONDS), recordings.short_answer()]
    bot = await start_bot({**openai_env(replay), "STREAM_MAX_SECONDS": "2"})
    await converse(bot, connector, replay)
    first_answer = connector.bubbles()  # (the follow-up is answered in its HTTP response)
    assert "".join(first_answer) == ANSWER
    assert "" not in first_answer
    refused = [item for item in connector.received if item.status == 403]
    assert refused and all(item.stream_info["streamType"] == "informative" for item in refused)


async def test_on_a_channel_that_does_not_stream_typing_goes_on_while_the_model_reasons(
    start_bot: StartBot, connector: RecordingConnector, replay: ReplayServer
) -> None:
    replay.recordings = [recordings.ollama_reasoning(REASONING_SECONDS), recordings.short_answer()]
    bot = await start_bot({**openai_env(replay), "TYPING_INTERVAL": "0.5"})
    answer, history = await converse(bot, connector, replay, channel_id="emulator", conversation_type=None)
    assert answer == ANSWER
    assert_history(history, ANSWER)
    assert_no_reasoning_shown_or_kept(connector, history)
    typing = [item for item in connector.received if item.activity["type"] == "typing"]
    assert len(typing) >= REASONING_SECONDS / 0.5 - 1
    assert not [item for item in typing if item.activity.get("text")]


CUT_OFF_ANSWERS = {
    "openai-length": (recordings.openai("length"), ANSWER, "length"),
    "tgi-length": (recordings.tgi_no_space("length"), ANSWER, "length"),
    "vllm-reasoning-then-length": (recordings.vllm_reasoning_content(0.5, "length"), ANSWER, "length"),
    "azure-content-filter": (
        recordings.azure(filtered_after=5),
        "".join(recordings.ANSWER_WORDS[:5]),
        "content_filter",
    ),
}


@pytest.mark.parametrize(
    ("recording", "text", "reason"), CUT_OFF_ANSWERS.values(), ids=CUT_OFF_ANSWERS.keys()
)
async def test_an_answer_the_model_cut_off_says_so(
    start_bot: StartBot,
    connector: RecordingConnector,
    replay: ReplayServer,
    recording: Recording,
    text: str,
    reason: str,
) -> None:
    replay.recordings = [recording, recordings.short_answer()]
    bot = await start_bot(openai_env(replay))
    answer, history = await converse(bot, connector, replay)
    assert answer == f"{text}\n\n{CUT_OFF_NOTES[reason]}"
    assert_history(history, answer)
    assert_no_reasoning_shown_or_kept(connector, history)
    metrics = await bot.metrics()
    assert metrics[("bot_answers_total", (("outcome", "cut_off"),))] == 1
    assert metrics[("bot_model_errors_total", (("error", reason),))] == 1
    assert ("bot_answers_total", (("outcome", "failed"),)) not in metrics


@pytest.mark.parametrize("content_encoding", [None, "gzip"])
async def test_every_word_received_before_the_connection_dropped_reaches_the_user(
    start_bot: StartBot, connector: RecordingConnector, replay: ReplayServer, content_encoding: str | None
) -> None:
    # The last 35 words and the drop arrive while the bot leaves them in the connection's buffer
    # until its next update; aiohttp then raises the drop before it returns them.
    replay.recordings = [
        recordings.vllm_dropped_after_forty_words(content_encoding),
        recordings.short_answer(),
    ]
    bot = await start_bot(openai_env(replay))
    answer, history = await converse(bot, connector, replay)
    assert answer == f"{''.join(LONG_ANSWER_WORDS)}\n\n{BROKE}"
    assert_history(history, answer)


ERRORS_MID_ANSWER = {
    "openai-error-event": recordings.openai_error_after(4),
    "vllm-error-event-then-done": recordings.vllm_error_after(4),
}


@pytest.mark.parametrize("recording", ERRORS_MID_ANSWER.values(), ids=ERRORS_MID_ANSWER.keys())
async def test_an_error_event_mid_answer_keeps_the_text_and_says_so(
    start_bot: StartBot, connector: RecordingConnector, replay: ReplayServer, recording: Recording
) -> None:
    replay.recordings = [recording, recordings.short_answer()]
    bot = await start_bot(openai_env(replay))
    answer, history = await converse(bot, connector, replay)
    assert answer == f"{''.join(recordings.ANSWER_WORDS[:4])}\n\n{ERROR_MID_ANSWER}"
    assert_history(history, answer)
    assert STOP_NOTES[StopReason.MODEL_SILENT] not in answer
