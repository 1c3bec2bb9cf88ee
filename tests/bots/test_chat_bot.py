"""The bot's own behaviour over real HTTP: the welcome card and its suggested actions."""

from __future__ import annotations

from typing import Any

import pytest

from bots.welcome import OFFLINE_NOTE, SAMPLE_QUESTION, SUGGESTIONS_TEXT
from tests.conftest import StartBot
from tests.support.connector import RecordingConnector

BOT = {"id": "bot-1", "name": "Streaming Bot"}
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


def members_added(
    service_url: str, *member_ids: str, channel_id: str = "msteams", conversation_type: str = "personal"
) -> dict:
    return {
        "type": "conversationUpdate",
        "id": "update-1",
        "channelId": channel_id,
        "serviceUrl": service_url,
        "from": {"id": "user-1"},
        "recipient": BOT,
        "conversation": {"id": "conv-welcome", "conversationType": conversation_type},
        "membersAdded": [{"id": member_id} for member_id in member_ids],
    }


def card_text(activity: dict[str, Any]) -> str:
    """Every TextBlock of the activity's one Adaptive Card, joined."""
    [attachment] = activity["attachments"]
    assert attachment["contentType"] == ADAPTIVE_CARD
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    return "\n".join(block["text"] for block in card["body"] if block["type"] == "TextBlock")


def suggested_actions(activity: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(a["type"], a["title"], a["value"]) for a in activity["suggestedActions"]["actions"]]


@pytest.mark.parametrize("channel_id", ["msteams", "webchat", "directline", "emulator"])
async def test_a_new_member_gets_the_card_then_suggested_actions(
    start_bot: StartBot, connector: RecordingConnector, channel_id: str
) -> None:
    bot = await start_bot({})
    status, _ = await bot.post_activity(
        members_added(connector.url, "bot-1", "user-1", channel_id=channel_id)
    )
    assert status == 201
    card, suggestions = (item.activity for item in connector.received)

    text = card_text(card)
    assert "Ask me anything" in text and SAMPLE_QUESTION in text
    assert all(command in text for command in ("**settings**", "**reset**", "**help**"))
    assert OFFLINE_NOTE in text  # No model is configured in this test.
    assert "suggestedActions" not in card  # Teams shows none on a message with attachments.

    assert suggestions["text"] == SUGGESTIONS_TEXT
    assert not suggestions.get("attachments")
    assert suggested_actions(suggestions) == [
        ("imBack", "help", "help"),
        ("imBack", "settings", "settings"),
        ("imBack", SAMPLE_QUESTION, SAMPLE_QUESTION),
    ]


async def test_a_channel_without_suggested_actions_gets_the_card_only(
    start_bot: StartBot, connector: RecordingConnector
) -> None:
    bot = await start_bot({})
    await bot.post_activity(members_added(connector.url, "user-1", channel_id="slack"))
    [card] = (item.activity for item in connector.received)
    assert "Ask me anything" in card_text(card)


async def test_the_bot_joining_a_personal_chat_alone_is_not_greeted(
    start_bot: StartBot, connector: RecordingConnector
) -> None:
    bot = await start_bot({})
    await bot.post_activity(members_added(connector.url, "bot-1"))
    assert connector.received == []


async def test_a_group_is_welcomed_once_when_the_bot_joins_and_told_to_mention_it(
    start_bot: StartBot, connector: RecordingConnector
) -> None:
    bot = await start_bot({})
    await bot.post_activity(members_added(connector.url, "user-2", conversation_type="groupChat"))
    assert connector.received == []  # A person joining the group: not the bot's to greet.

    await bot.post_activity(members_added(connector.url, "bot-1", conversation_type="channel"))
    [card] = (item.activity for item in connector.received)
    assert "Mention me (@) with your question" in card_text(card)
    assert "suggestedActions" not in card  # A button's message would not mention the bot.


async def test_the_card_does_not_claim_offline_when_a_model_is_configured(
    start_bot: StartBot, model_env: dict[str, str], connector: RecordingConnector
) -> None:
    bot = await start_bot(model_env)
    await bot.post_activity(members_added(connector.url, "user-1"))
    card = connector.received[0].activity
    assert "offline" not in card_text(card)
