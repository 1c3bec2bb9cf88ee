"""Inbound activities as channels send them to the bot."""

from __future__ import annotations

import uuid
from typing import Any

BOT = {"id": "bot-1", "name": "Streaming Bot"}


def user_message(
    text: str,
    service_url: str,
    *,
    channel_id: str = "msteams",
    conversation_type: str | None = "personal",
    conversation_id: str | None = None,
    delivery_mode: str | None = None,
    mention_bot: bool = False,
    sender: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A user's message activity in the JSON shape the Bot Connector posts.

    `mention_bot` @mentions the bot as Teams does: "<at>Streaming Bot</at>" before the text, and a
    mention entity. `sender` replaces the default sender, "Test User" (id user-1).
    """
    conversation: dict[str, Any] = {"id": conversation_id or f"conv-{uuid.uuid4().hex[:8]}"}
    if conversation_type:
        conversation["conversationType"] = conversation_type
    activity: dict[str, Any] = {
        "type": "message",
        "id": f"activity-{uuid.uuid4().hex[:8]}",
        "timestamp": "2026-11-21T10:00:00.000Z",
        "channelId": channel_id,
        "serviceUrl": service_url,
        "from": sender or {"id": "user-1", "name": "Test User"},
        "recipient": BOT,
        "conversation": conversation,
        "text": text,
        "textFormat": "plain",
    }
    if mention_bot:
        mention = f"<at>{BOT['name']}</at>"
        activity["text"] = f"{mention} {text}"
        activity["entities"] = [{"type": "mention", "text": mention, "mentioned": dict(BOT)}]
    if delivery_mode:
        activity["deliveryMode"] = delivery_mode
    return activity


def invoke(
    name: str,
    value: object,
    service_url: str,
    *,
    conversation_id: str = "conv-feedback",
    reply_to_id: str | None = None,
    channel_id: str = "msteams",
) -> dict[str, Any]:
    """An invoke activity (a button in a message, a feedback click) from "Test User" (id user-1)."""
    activity: dict[str, Any] = {
        "type": "invoke",
        "name": name,
        "id": f"invoke-{uuid.uuid4().hex[:8]}",
        "timestamp": "2026-11-21T10:00:00.000Z",
        "channelId": channel_id,
        "serviceUrl": service_url,
        "from": {"id": "user-1", "name": "Test User", "aadObjectId": "aad-user-1"},
        "recipient": BOT,
        "conversation": {"id": conversation_id, "conversationType": "personal"},
        "value": value,
    }
    if reply_to_id:
        activity["replyToId"] = reply_to_id
    return activity
