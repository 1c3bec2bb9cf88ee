"""The bot on botbuilder: its activity handler, middleware, background answers, state saving and feedback."""

from .background_answers import BackgroundAnswers, ConversationOrderMiddleware
from .chat_bot import ChatBot
from .feedback import FeedbackInvokes
from .mentions import GroupMentionMiddleware
from .state_saver import TurnStateSaver
from .typed_stop import TypedStopMiddleware

__all__ = [
    "BackgroundAnswers",
    "ChatBot",
    "ConversationOrderMiddleware",
    "FeedbackInvokes",
    "GroupMentionMiddleware",
    "TurnStateSaver",
    "TypedStopMiddleware",
]
