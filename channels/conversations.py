"""What an activity says about its conversation, read alike by bots/, dialogs/ and safety/."""

from __future__ import annotations

from botbuilder.schema import Activity

GROUP_CONVERSATION_TYPES = frozenset({"groupChat", "channel"})
"""Teams' conversation types with more than the user and the bot."""


def conversation_key(activity: Activity) -> str:
    """Identifies a conversation across channels."""
    return f"{activity.channel_id}/{activity.conversation.id if activity.conversation else ''}"


def is_group_conversation(activity: Activity) -> bool:
    """Whether `activity` comes from a conversation with more than the user and the bot."""
    conversation = activity.conversation
    if conversation is None:
        return False
    return bool(conversation.is_group) or conversation.conversation_type in GROUP_CONVERSATION_TYPES


def speaker_name(activity: Activity) -> str:
    """The sender's display name, or their id when the channel sends no name."""
    sender = activity.from_property
    return ((sender.name or sender.id) if sender else None) or "Someone"
