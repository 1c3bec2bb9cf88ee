"""The bot on botbuilder: its activity handler, middleware, background answers and state saving."""

from .background_answers import BackgroundAnswers, ConversationOrderMiddleware
from .chat_bot import ChatBot
from .mentions import GroupMentionMiddleware
from .state_saver import TurnStateSaver
from .typed_stop import TypedStopMiddleware

__all__ = [
    "BackgroundAnswers",
    "ChatBot",
    "ConversationOrderMiddleware",
    "GroupMentionMiddleware",
    "TurnStateSaver",
    "TypedStopMiddleware",
]
