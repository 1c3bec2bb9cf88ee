"""Inbound activities as channels send them to the bot."""

from __future__ import annotations

import uuid
from typing import Any


def user_message(
    text: str,
    service_url: str,
    *,
    channel_id: str = "msteams",
    conversation_type: str | None = "personal",
    conversation_id: str | None = None,
    delivery_mode: str | None = None,
) -> dict[str, Any]:
    """A user's message activity in the JSON shape the Bot Connector posts."""
    conversation: dict[str, Any] = {"id": conversation_id or f"conv-{uuid.uuid4().hex[:8]}"}
    if conversation_type:
        conversation["conversationType"] = conversation_type
    activity: dict[str, Any] = {
        "type": "message",
        "id": f"activity-{uuid.uuid4().hex[:8]}",
        "timestamp": "2026-11-21T10:00:00.000Z",
        "channelId": channel_id,
        "serviceUrl": service_url,
        "from": {"id": "user-1", "name": "Test User"},
        "recipient": {"id": "bot-1", "name": "Streaming Bot"},
        "conversation": conversation,
        "text": text,
        "textFormat": "plain",
    }
    if delivery_mode:
        activity["deliveryMode"] = delivery_mode
    return activity
