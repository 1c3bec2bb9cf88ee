"""The bot's activity handlers."""

from .chat_bot import ChatBot
from .mentions import GroupMentionMiddleware
from .state_saver import TurnStateSaver
from .typed_stop import TypedStopMiddleware

__all__ = ["ChatBot", "GroupMentionMiddleware", "TurnStateSaver", "TypedStopMiddleware"]
