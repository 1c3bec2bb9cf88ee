"""Notifications reach the stored conversations through the recording connector: one, many, all;
with 429s mid-broadcast and conversations the bot was removed from."""

from __future__ import annotations

import pytest

from tests.conftest import StartBot
from tests.proactive.api import NOTIFY_ENV, finished_job, install, notify, results, sent_to
from tests.support.connector import Fault, RecordingConnector


async def test_a_text_reaches_one_conversation_as_one_new_message(
    start_bot: StartBot, connector: RecordingConnector
) -> None:
    bot = await start_bot(NOTIFY_ENV)
    await install(bot, connector, "conv-a")
    await install(bot, connector, "conv-b")

    status, record = await notify(bot, {"conversations": ["conv-a"], "text": "The **build** is green."})

    assert status == 202
    assert (record["state"], record["kind"], record["total"]) == ("running", "text", 1)
    assert record["conversations"][0]["id"] == "conv-a"
    record = await finished_job(bot, record["job"])
    assert results(record) == {"conv-a": {"status": "sent"}}
    assert record["counts"] == {"pending": 0, "sending": 0, "sent": 1, "failed": 0, "removed": 0}
    [message] = sent_to(connector, "conv-a")
    assert message.path == "/v3/conversations/conv-a/activities"  # a new message, not a reply
    assert message.activity["type"] == "message"
    assert message.activity["text"] == "The **build** is green."
    assert message.activity["textFormat"] == "markdown"
    assert message.activity["recipient"]["id"] == "user-1"
    assert message.stream_info is None and message.message_entity is None  # no stream, no AI label
    assert sent_to(connector, "conv-b") == []


async def test_a_text_reaches_the_conversations_named_and_then_all(
    start_bot: StartBot, connector: RecordingConnector
) -> None:
    bot = await start_bot(NOTIFY_ENV)
    await install(bot, connector, "conv-teams")
    await install(bot, connector, "conv-webchat", channel_id="webchat", conversation_type=None)
    await install(bot, connector, "conv-emulator", channel_id="emulator", conversation_type=None)

    _, many = await notify(bot, {"conversations": ["conv-teams", "conv-emulator"], "text": "Two of you."})
    many = await finished_job(bot, many["job"])
    assert results(many) == {"conv-teams": {"status": "sent"}, "conv-emulator": {"status": "sent"}}
    assert [len(sent_to(connector, c)) for c in ("conv-teams", "conv-webchat", "conv-emulator")] == [1, 0, 1]

    _, everyone = await notify(bot, {"all": True, "text": "All of you."})
    everyone = await finished_job(bot, everyone["job"])
    assert everyone["total"] == 3 and everyone["counts"]["sent"] == 3
    for conversation in ("conv-teams", "conv-webchat", "conv-emulator"):
        assert sent_to(connector, conversation)[-1].activity["text"] == "All of you."


async def test_all_with_no_conversation_stored_is_a_job_with_nothing_to_do(start_bot: StartBot) -> None:
    bot = await start_bot(NOTIFY_ENV)
    status, record = await notify(bot, {"all": True, "text": "Anyone?"})
    assert status == 202
    record = await finished_job(bot, record["job"])
    assert (record["total"], record["conversations"]) == (0, [])


async def test_a_429_mid_broadcast_waits_its_retry_after_and_a_lasting_one_fails_with_the_reason(
    start_bot: StartBot, connector: RecordingConnector
) -> None:
    conversations = [f"conv-{number}" for number in range(5)]
    connector.faults = [
        Fault(lambda item: "/conv-2/" in item.path, 429, "Too many requests", "Throttled", retry_after=1),
        Fault(lambda item: "/conv-4/" in item.path, 429, "Slow down", "Throttled", retry_after=2, times=9),
    ]
    bot = await start_bot({**NOTIFY_ENV, "NOTIFY_CONCURRENCY": "2", "DELIVERY_DEADLINE_SECONDS": "1.5"})
    for conversation in conversations:
        await install(bot, connector, conversation)

    _, record = await notify(bot, {"all": True, "text": "Maintenance at noon."})
    record = await finished_job(bot, record["job"])

    outcome = results(record)
    assert [outcome[c]["status"] for c in conversations] == ["sent", "sent", "sent", "sent", "failed"]
    # Its Retry-After would end past the delivery deadline: the channel's answer is the reason.
    assert outcome["conv-4"] == {"status": "failed", "reason": "Slow down", "http_status": 429}
    throttled, retried = sent_to(connector, "conv-2")
    assert (throttled.status, retried.status) == (429, 201)
    assert retried.received_at - throttled.received_at >= 1.0  # it waited as the channel asked
    assert [item.status for item in sent_to(connector, "conv-4")] == [429]
    assert [len(sent_to(connector, c)) for c in ("conv-0", "conv-1", "conv-3")] == [1, 1, 1]


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (403, "ConversationBlockedByUser", "User blocked the conversation with the bot."),
        (404, "ConversationNotFound", "Conversation not found."),
    ],
)
async def test_a_conversation_the_bot_was_removed_from_is_reported_and_dropped(
    start_bot: StartBot, connector: RecordingConnector, status: int, code: str, message: str
) -> None:
    connector.faults = [Fault(lambda item: "/conv-gone/" in item.path, status, message, code)]
    bot = await start_bot(NOTIFY_ENV)
    await install(bot, connector, "conv-gone")
    await install(bot, connector, "conv-here")

    _, record = await notify(bot, {"all": True, "text": "Hello again."})
    record = await finished_job(bot, record["job"])

    assert results(record) == {
        "conv-gone": {"status": "removed", "reason": message, "http_status": status},
        "conv-here": {"status": "sent"},
    }
    refused, answer = await notify(bot, {"conversations": ["conv-gone"], "text": "Still there?"})
    assert refused == 400 and "conv-gone" in answer["error"]
    _, again = await notify(bot, {"all": True, "text": "Who is left?"})
    assert results(await finished_job(bot, again["job"])) == {"conv-here": {"status": "sent"}}
    assert len(sent_to(connector, "conv-gone")) == 1  # tried once, never again


async def test_a_failure_that_is_not_a_removal_keeps_the_conversation(
    start_bot: StartBot, connector: RecordingConnector
) -> None:
    connector.faults = [Fault(lambda item: True, 400, "Bad activity", "BadArgument")]
    bot = await start_bot(NOTIFY_ENV)
    await install(bot, connector, "conv-a")

    _, record = await notify(bot, {"conversations": ["conv-a"], "text": "Hello."})
    record = await finished_job(bot, record["job"])

    assert results(record) == {"conv-a": {"status": "failed", "reason": "Bad activity", "http_status": 400}}
    _, again = await notify(bot, {"conversations": ["conv-a"], "text": "Hello?"})
    assert results(await finished_job(bot, again["job"])) == {"conv-a": {"status": "sent"}}
