"""The bot's activity handlers."""

from .chat_bot import ChatBot
from .mentions import GroupMentionMiddleware
from .state_saver import TurnStateSaver

__all__ = ["ChatBot", "GroupMentionMiddleware", "TurnStateSaver"]
