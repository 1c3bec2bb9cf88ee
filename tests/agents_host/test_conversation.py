"""A conversation on the Agents SDK host: answers in order, a new message or a typed stop ends the
answer in progress, the history carries over, and limits, moderation and commands reply at once."""

from __future__ import annotations

import asyncio

from dialogs.typed_stop import STOPPED_REPLY
from safety.moderator import BLOCKED_REPLY
from safety.user_limits import TOO_LONG_REPLY
from streaming.notes import STOP_NOTES
from streaming.outcome import StopReason
from tests.agents_host.conftest import StartHost
from tests.support.activities import user_message
from tests.support.connector import RecordingConnector, is_stream_update
from tests.support.model_server import ModelServer

WORDS = [f" word{number}" for number in range(40)]


async def test_a_new_message_ends_the_answer_in_progress_before_it_is_answered(
    start_host: StartHost, connector: RecordingConnector, model_server: ModelServer
) -> None:
    model_server.tokens, model_server.token_delay = WORDS, 0.1
    host = await start_host({"WEBCHAT_STREAM_INTERVAL": "0.2"})
    await host.post(user_message("tell me a lot", connector.url, channel_id="webchat", conversation_id="c1"))
    await connector.wait_until(lambda: any(is_stream_update(item) for item in connector.received))
    model_server.tokens, model_server.token_delay = ["Next."], 0.0  # for the next request only
    await host.post(user_message("something else", connector.url, channel_id="webchat", conversation_id="c1"))

    interrupted, answer = await connector.wait_for_answers(2)
    partial = interrupted.removesuffix(f"\n\n{STOP_NOTES[StopReason.NEW_MESSAGE]}")
    assert partial != interrupted and partial.strip()
    assert "".join(WORDS).startswith(partial) and partial != "".join(WORDS)
    assert answer == "Next."
    # The interrupted answer is in the history the new question goes with, as the user saw it.
    sent = [message["content"] for message in model_server.requests[-1].body["messages"][1:]]
    assert sent == ["tell me a lot", interrupted, "something else"]


async def test_a_typed_stop_ends_the_answer_and_the_history_keeps_it_for_the_next_question(
    start_host: StartHost, connector: RecordingConnector, model_server: ModelServer
) -> None:
    model_server.tokens, model_server.token_delay = WORDS, 0.1
    host = await start_host({})
    await host.post(user_message("tell me a lot", connector.url, channel_id="webchat", conversation_id="c1"))
    await connector.wait_until(lambda: len(model_server.token_sent_at) >= 5)
    await host.post(user_message("stop", connector.url, channel_id="webchat", conversation_id="c1"))

    stopped, confirmation = await connector.wait_for_answers(2)
    await asyncio.wait_for(model_server.disconnected.wait(), timeout=5)  # the model request was closed
    assert len(model_server.requests) == 1  # the stop was not sent to the model as a question
    partial = stopped.removesuffix(f"\n\n{STOP_NOTES[StopReason.STOP_COMMAND]}")
    assert partial != stopped and partial.strip()
    assert confirmation == STOPPED_REPLY  # the botbuilder host's words

    model_server.tokens, model_server.token_delay = ["Next."], 0.0
    await host.post(user_message("and now?", connector.url, channel_id="webchat", conversation_id="c1"))
    await connector.wait_for_answers(3)
    sent = [message["content"] for message in model_server.requests[-1].body["messages"][1:]]
    assert sent == ["tell me a lot", stopped, "and now?"]


async def test_the_history_is_kept_between_turns(
    start_host: StartHost, connector: RecordingConnector, model_server: ModelServer
) -> None:
    model_server.token_delay = 0.0  # the answers' pace plays no part here
    host = await start_host({})
    await host.post(user_message("First question", connector.url, conversation_id="c1"))
    await connector.wait_for_answers(1)
    await host.post(user_message("Second question", connector.url, conversation_id="c1"))
    await connector.wait_for_answers(2)
    await host.post(user_message("Elsewhere", connector.url, conversation_id="c2"))
    await connector.wait_for_answers(3)

    first, second, elsewhere = ([m["content"] for m in r.body["messages"][1:]] for r in model_server.requests)
    assert first == ["First question"]
    assert second == ["First question", model_server.answer, "Second question"]
    assert elsewhere == ["Elsewhere"]  # another conversation has its own history


async def test_limits_moderation_and_commands_reply_at_once_without_the_model(
    start_host: StartHost, connector: RecordingConnector, model_server: ModelServer
) -> None:
    host = await start_host({"MAX_MESSAGE_CHARS": "30", "BLOCKED_TERMS": "forbidden"})
    replies = []
    for text in ("x" * 31, "tell me the forbidden thing", "stop", "settings", ""):
        await host.post(user_message(text, connector.url, conversation_id="c1"))
        replies = await connector.wait_for_answers(len(replies) + 1)

    too_long, blocked, nothing_to_stop, settings, not_text = replies
    assert too_long == TOO_LONG_REPLY.format(length=31, limit=30)
    assert blocked == BLOCKED_REPLY
    assert nothing_to_stop.startswith("There is nothing to cancel.")
    assert "**settings** is not available" in settings
    assert not_text.startswith("I can only read text")
    assert model_server.requests == []


async def test_shutdown_ends_the_answer_in_progress_with_a_note_and_exits_cleanly(
    start_host: StartHost, connector: RecordingConnector, model_server: ModelServer
) -> None:
    model_server.tokens, model_server.token_delay = WORDS, 0.1
    host = await start_host({})
    await host.post(user_message("tell me a lot", connector.url, channel_id="webchat"))
    await connector.wait_until(lambda: any(is_stream_update(item) for item in connector.received))

    returncode, log = await host.terminate()
    assert returncode == 0, log
    [ended] = connector.bubbles()
    assert ended.endswith(f"\n\n{STOP_NOTES[StopReason.SHUTDOWN]}")
    assert "".join(WORDS).startswith(ended.removesuffix(f"\n\n{STOP_NOTES[StopReason.SHUTDOWN]}"))
