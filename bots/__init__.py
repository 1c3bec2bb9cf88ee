"""The bot on botbuilder: its activity handler, middleware, background answers (and the finishing of
those another instance left), state saving and feedback."""

from .answer_recovery import AnswerRecovery
from .background_answers import BackgroundAnswers, ConversationOrderMiddleware
from .chat_bot import ChatBot
from .feedback import FeedbackInvokes
from .mentions import GroupMentionMiddleware
from .state_saver import TurnStateSaver
from .typed_stop import TypedStopMiddleware

__all__ = [
    "AnswerRecovery",
    "BackgroundAnswers",
    "ChatBot",
    "ConversationOrderMiddleware",
    "FeedbackInvokes",
    "GroupMentionMiddleware",
    "TurnStateSaver",
    "TypedStopMiddleware",
]
