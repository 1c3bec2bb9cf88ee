"""A prompt is answered by the model in each conversation, streamed like any answer, with the
conversation's history; it takes its turn in the conversation like a user's message."""

from __future__ import annotations

from typing import Any

from app import NOTIFIER
from dialogs.typed_stop import STOPPED_REPLY
from proactive import SHUTDOWN_REASON, operator_question
from streaming.notes import STOP_NOTES
from streaming.outcome import StopReason
from tests.conftest import StartBot
from tests.proactive.api import (
    NOTIFY_ENV,
    finished_job,
    install,
    job_record,
    notify,
    references_saved,
    results,
    sent_to,
)
from tests.support.activities import user_message
from tests.support.bot import BotClient
from tests.support.connector import RecordingConnector, is_final, is_stream_update
from tests.support.model_server import ModelServer

WORDS = [f" word{number}" for number in range(40)]
PROMPT = "Tell this chat that version 2 is out."


def messages(request_body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(message["role"], message["content"]) for message in request_body["messages"]]


async def ask(bot: BotClient, connector: RecordingConnector, text: str, conversation_id: str) -> None:
    status, _ = await bot.post_activity(user_message(text, connector.url, conversation_id=conversation_id))
    assert status == 201
    await references_saved(bot)


async def test_a_prompt_is_streamed_as_an_answer_with_the_history_and_joins_it(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.tokens, model_server.token_delay = WORDS[:12], 0.1
    bot = await start_bot({**model_env, **NOTIFY_ENV})
    await ask(bot, connector, "What is new?", "conv-a")
    await bot.answers_done()
    answer = model_server.answer
    before = len(connector.received)

    _, record = await notify(bot, {"conversations": ["conv-a"], "prompt": PROMPT})
    record = await finished_job(bot, record["job"])

    assert results(record) == {"conv-a": {"status": "sent", "outcome": "complete"}}
    assert messages(model_server.requests[-1].body)[1:] == [
        ("user", "What is new?"),
        ("assistant", answer),
        ("user", operator_question(PROMPT)),
    ]
    notification = connector.received[before:]
    assert all(item.path == "/v3/conversations/conv-a/activities" for item in notification)  # not replies
    start = notification[0].stream_info  # a stream of its own ("Thinking…", or text if it came first)
    assert start is not None and "streamId" not in start and start["streamSequence"] == 1
    assert any(is_stream_update(item) for item in notification)  # the text grew in the bubble
    final = notification[-1]
    assert is_final(final) and final.activity["text"] == answer
    assert final.message_entity is not None and final.message_entity["additionalType"] == [
        "AIGeneratedContent"
    ]
    assert connector.bubbles() == [answer, answer]

    # The next question sees the notification in the history, as the user saw it.
    await ask(bot, connector, "And then?", "conv-a")
    await bot.answers_done()
    assert messages(model_server.requests[-1].body)[-3:] == [
        ("user", operator_question(PROMPT)),
        ("assistant", answer),
        ("user", "And then?"),
    ]


async def test_a_users_message_interrupts_a_streaming_notification_as_it_interrupts_any_answer(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.tokens, model_server.token_delay = WORDS, 0.1
    bot = await start_bot({**model_env, **NOTIFY_ENV})
    await install(bot, connector, "conv-a")
    _, record = await notify(bot, {"conversations": ["conv-a"], "prompt": PROMPT})
    await connector.wait_until(lambda: any(is_stream_update(item) for item in connector.received))

    model_server.tokens, model_server.token_delay = ["Sure."], 0.0
    await ask(bot, connector, "Wait, what?", "conv-a")
    record = await finished_job(bot, record["job"])
    await bot.answers_done()

    assert results(record) == {"conv-a": {"status": "sent", "outcome": "interrupted"}}
    interrupted, reply = connector.bubbles()
    note = STOP_NOTES[StopReason.NEW_MESSAGE]
    partial = interrupted.removesuffix(f"\n\n{note}")
    assert partial != interrupted and partial and "".join(WORDS).startswith(partial)
    assert reply == "Sure."
    assert messages(model_server.requests[-1].body)[-3:] == [
        ("user", operator_question(PROMPT)),
        ("assistant", interrupted),
        ("user", "Wait, what?"),
    ]


async def test_a_typed_stop_stops_a_streaming_notification(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.tokens, model_server.token_delay = WORDS, 0.1
    bot = await start_bot({**model_env, **NOTIFY_ENV})
    await install(bot, connector, "conv-a")
    _, record = await notify(bot, {"conversations": ["conv-a"], "prompt": PROMPT})
    await connector.wait_until(lambda: any(is_stream_update(item) for item in connector.received))

    await ask(bot, connector, "stop", "conv-a")
    record = await finished_job(bot, record["job"])
    await bot.answers_done()

    assert results(record) == {"conv-a": {"status": "sent", "outcome": "stopped"}}
    stopped, confirmation = connector.bubbles()
    assert stopped.endswith(STOP_NOTES[StopReason.STOP_COMMAND]) and confirmation == STOPPED_REPLY
    assert len(model_server.requests) == 1  # the stop was not a question


async def test_a_notification_waits_for_the_answer_in_progress_to_finish(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.tokens, model_server.token_delay = WORDS, 0.05
    bot = await start_bot({**model_env, **NOTIFY_ENV})
    await ask(bot, connector, "Tell me a lot.", "conv-a")
    await connector.wait_until(lambda: any(is_stream_update(item) for item in connector.received))

    _, record = await notify(bot, {"conversations": ["conv-a"], "prompt": PROMPT})
    model_server.tokens = ["Done."]  # the notification's answer: its request starts after the user's answer
    record = await finished_job(bot, record["job"])

    assert results(record) == {"conv-a": {"status": "sent", "outcome": "complete"}}
    assert connector.bubbles() == ["".join(WORDS), "Done."]  # the user's answer was not cut
    # The user's answer replies to the question, the notification is a new message: first all of
    # the one, up to its final, then all of the other.
    sends = sent_to(connector, "conv-a")
    kinds = ["new" if item.path == "/v3/conversations/conv-a/activities" else "reply" for item in sends]
    first_new = kinds.index("new")
    assert set(kinds[first_new:]) == {"new"} and is_final(sends[first_new - 1])


async def test_a_text_waits_for_the_answer_in_progress_too(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.tokens, model_server.token_delay = WORDS[:30], 0.05
    bot = await start_bot({**model_env, **NOTIFY_ENV})
    await ask(bot, connector, "Tell me a lot.", "conv-a")
    await connector.wait_until(lambda: any(is_stream_update(item) for item in connector.received))

    _, record = await notify(bot, {"conversations": ["conv-a"], "text": "Heads up."})
    await finished_job(bot, record["job"])

    assert connector.bubbles() == ["".join(WORDS[:30]), "Heads up."]


async def test_a_prompt_goes_as_one_message_where_the_channel_does_not_stream(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.token_delay = 0.0
    bot = await start_bot({**model_env, **NOTIFY_ENV})
    await install(bot, connector, "conv-group", conversation_type="groupChat")
    _, record = await notify(bot, {"all": True, "prompt": PROMPT})
    await finished_job(bot, record["job"])

    [message] = [item for item in sent_to(connector, "conv-group") if item.activity["type"] == "message"]
    assert message.stream_info is None and message.activity["text"] == model_server.answer
    system = model_server.requests[-1].body["messages"][0]["content"]
    assert "group conversation" in system  # the model knows who reads it


async def test_shutdown_ends_a_job_and_records_what_was_not_sent(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.tokens, model_server.token_delay = WORDS, 0.1
    bot = await start_bot({**model_env, **NOTIFY_ENV, "NOTIFY_CONCURRENCY": "1"})
    for conversation in ("conv-1", "conv-2", "conv-3"):
        await install(bot, connector, conversation)
    _, record = await notify(bot, {"all": True, "prompt": PROMPT})
    await connector.wait_until(lambda: any(is_stream_update(item) for item in connector.received))

    await bot.app.shutdown()  # what SIGTERM starts
    await bot.app[NOTIFIER].wait_idle()
    status, record = await job_record(bot, record["job"])

    assert status == 200 and record["state"] == "finished"
    outcome = [
        (entry["status"], entry.get("outcome"), entry.get("reason")) for entry in record["conversations"]
    ]
    assert outcome == [
        ("sent", "interrupted", None),
        ("failed", None, SHUTDOWN_REASON),
        ("failed", None, SHUTDOWN_REASON),
    ]
    [bubble] = connector.bubbles()
    assert bubble.endswith(STOP_NOTES[StopReason.SHUTDOWN])
