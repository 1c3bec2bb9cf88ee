"""Activities and turns on the test channel, for driving storage and BotState directly."""

from __future__ import annotations

from botbuilder.core import TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

# ConversationState's storage key for user_message's conversation.
CONVERSATION_KEY = "test/conversations/conversation-1"


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
