"""What an activity says about its conversation, read alike by bots/, dialogs/ and safety/.

SDK-free: botbuilder's and the Agents SDK's activities have the same attribute names for all this.
"""

from __future__ import annotations

from typing import Protocol

GROUP_CONVERSATION_TYPES = frozenset({"groupChat", "channel"})
"""Teams' conversation types with more than the user and the bot."""


class _Account(Protocol):
    @property
    def id(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...


class _Conversation(Protocol):
    @property
    def id(self) -> str | None: ...
    @property
    def is_group(self) -> bool | None: ...
    @property
    def conversation_type(self) -> str | None: ...


class ConversationActivity(Protocol):
    """The parts of an activity (of either SDK) that say whose conversation it is."""

    @property
    def channel_id(self) -> object: ...
    @property
    def conversation(self) -> _Conversation | None: ...
    @property
    def from_property(self) -> _Account | None: ...


def conversation_key(activity: ConversationActivity) -> str:
    """Identifies a conversation across channels."""
    return f"{activity.channel_id}/{activity.conversation.id if activity.conversation else ''}"


def is_group_conversation(activity: ConversationActivity) -> bool:
    """Whether `activity` comes from a conversation with more than the user and the bot."""
    conversation = activity.conversation
    if conversation is None:
        return False
    return bool(conversation.is_group) or conversation.conversation_type in GROUP_CONVERSATION_TYPES


def speaker_name(activity: ConversationActivity) -> str:
    """The sender's display name, or their id when the channel sends no name."""
    sender = activity.from_property
    return ((sender.name or sender.id) if sender else None) or "Someone"
