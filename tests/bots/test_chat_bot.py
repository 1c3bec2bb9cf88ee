"""The bot's own behaviour: greeting, and state kept across turns."""

from __future__ import annotations

from tests.conftest import StartBot
from tests.support.connector import RecordingConnector

BOT = {"id": "bot-1", "name": "Streaming Bot"}


def members_added(service_url: str, *member_ids: str) -> dict:
    return {
        "type": "conversationUpdate",
        "id": "update-1",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": "user-1"},
        "recipient": BOT,
        "conversation": {"id": "conv-welcome", "conversationType": "personal"},
        "membersAdded": [{"id": member_id} for member_id in member_ids],
    }


async def test_new_member_is_greeted_once(start_bot: StartBot, connector: RecordingConnector) -> None:
    bot = await start_bot({})
    status, _ = await bot.post_activity(members_added(connector.url, "bot-1", "user-1"))
    assert status == 201
    [greeting] = connector.received
    assert greeting.activity["text"].startswith("Hi! Ask me anything")
    assert "offline stand-in" in greeting.activity["text"]


async def test_bot_joining_alone_is_not_greeted(start_bot: StartBot, connector: RecordingConnector) -> None:
    bot = await start_bot({})
    await bot.post_activity(members_added(connector.url, "bot-1"))
    assert connector.received == []


async def test_greeting_does_not_claim_offline_when_a_model_is_configured(
    start_bot: StartBot, model_env: dict[str, str], connector: RecordingConnector
) -> None:
    bot = await start_bot(model_env)
    await bot.post_activity(members_added(connector.url, "user-1"))
    [greeting] = connector.received
    assert "offline" not in greeting.activity["text"]
