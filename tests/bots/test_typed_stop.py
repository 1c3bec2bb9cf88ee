"""A typed stop or cancel ends the answer in progress, like the Stop button of Teams."""

from __future__ import annotations

import asyncio

import pytest

from dialogs.main_dialog import NOTHING_TO_CANCEL_TEXT
from dialogs.typed_stop import STOPPED_REPLY
from streaming.notes import STOP_NOTES
from streaming.outcome import StopReason
from tests.conftest import StartBot
from tests.support.activities import user_message
from tests.support.connector import RecordingConnector, is_stream_update
from tests.support.model_server import ModelServer

WORDS = [f" word{number}" for number in range(40)]
STOPPED_NOTE = STOP_NOTES[StopReason.STOP_COMMAND]


@pytest.mark.parametrize(
    ("command", "channel_id", "conversation_type"),
    [("stop", "webchat", None), ("Cancel.", "msteams", "personal"), ("stop generating", "emulator", None)],
)
async def test_a_typed_stop_ends_the_answer_with_the_text_so_far_and_one_confirmation(
    start_bot: StartBot,
    model_env: dict[str, str],
    model_server: ModelServer,
    connector: RecordingConnector,
    command: str,
    channel_id: str,
    conversation_type: str | None,
) -> None:
    model_server.tokens, model_server.token_delay = WORDS, 0.1
    bot = await start_bot(model_env)
    question = user_message(
        "tell me a lot", connector.url, channel_id=channel_id, conversation_type=conversation_type
    )
    await bot.post_activity(question)
    await connector.wait_until(lambda: len(model_server.token_sent_at) >= 5)
    conversation_id = question["conversation"]["id"]
    stop = user_message(
        command,
        connector.url,
        channel_id=channel_id,
        conversation_type=conversation_type,
        conversation_id=conversation_id,
    )
    await bot.post_activity(stop)
    await bot.answers_done()

    await asyncio.wait_for(model_server.disconnected.wait(), timeout=5)  # the model request was closed
    assert len(model_server.requests) == 1  # the stop was not sent to the model as a question
    stopped, confirmation = connector.bubbles()
    partial = stopped.removesuffix(f"\n\n{STOPPED_NOTE}")
    assert partial != stopped and partial
    assert model_server.answer.startswith(partial) and partial != model_server.answer
    assert confirmation == STOPPED_REPLY

    # The history keeps the stopped answer for the next question.
    model_server.tokens, model_server.token_delay = ["Next."], 0.0
    await bot.post_activity(
        user_message(
            "and now?",
            connector.url,
            channel_id=channel_id,
            conversation_type=conversation_type,
            conversation_id=conversation_id,
        )
    )
    await bot.answers_done()
    history = model_server.requests[-1].body["messages"]
    assert {"role": "assistant", "content": stopped} in history
    assert not any(message["content"] == command for message in history)


async def test_stop_with_no_answer_in_progress_says_there_is_nothing_to_cancel(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    bot = await start_bot(model_env)
    await bot.post_activity(user_message("stop", connector.url))
    await bot.answers_done()
    assert await connector.wait_for_answers() == [NOTHING_TO_CANCEL_TEXT]
    assert model_server.requests == []


async def test_a_stop_in_another_conversation_does_not_touch_this_answer(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.tokens, model_server.token_delay = WORDS[:20], 0.1
    bot = await start_bot(model_env)
    await bot.post_activity(user_message("question", connector.url, conversation_id="conv-answering"))
    await connector.wait_until(lambda: any(is_stream_update(item) for item in connector.received))
    assert len(model_server.token_sent_at) < len(WORDS[:20])  # still answering
    await bot.post_activity(user_message("stop", connector.url, conversation_id="conv-other"))
    await bot.answers_done()
    assert sorted(connector.bubbles()) == sorted([model_server.answer, NOTHING_TO_CANCEL_TEXT])
