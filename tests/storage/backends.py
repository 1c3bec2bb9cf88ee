"""Where a test's storage lives, as a picklable value, so a second process can open the same one."""

from __future__ import annotations

from dataclasses import dataclass

from botbuilder.core import TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from storage import AzureBlobStorage, ClosableStorage, RedisStorage, SqliteStorage

# ConversationState's storage key for user_message's conversation.
CONVERSATION_KEY = "test/conversations/conversation-1"


@dataclass(frozen=True)
class Backend:
    """A durable backend and its location: a SQLite file, a Redis key prefix, or a Blob container."""

    kind: str
    location: str  # SQLite path, Redis URL or Blob connection string
    namespace: str = ""  # Redis key prefix or Blob container

    def open(self) -> ClosableStorage:
        """A new storage object over the same stored items, as a restarted bot would have."""
        if self.kind == "sqlite":
            return SqliteStorage(self.location)
        if self.kind == "redis":
            return RedisStorage(self.location, key_prefix=self.namespace)
        if self.kind == "blob":
            return AzureBlobStorage(self.location, self.namespace)
        raise ValueError(f"unknown backend {self.kind!r}")


def user_message(text: str, conversation_id: str = "conversation-1") -> Activity:
    """A user's message in `conversation_id` on the test channel; its state key is CONVERSATION_KEY."""
    return Activity(
        type=ActivityTypes.message,
        channel_id="test",
        conversation=ConversationAccount(id=conversation_id),
        from_property=ChannelAccount(id="user-1"),
        recipient=ChannelAccount(id="bot"),
        text=text,
    )


def turn_context(text: str = "hi") -> TurnContext:
    """A turn of a user message in conversation-1, for driving BotState directly."""
    return TurnContext(TestAdapter(), user_message(text))
