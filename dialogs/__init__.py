"""The bot's dialogs."""

from .chat_answerer import ChatAnswerer, ChatSettings
from .chat_dialog import AnswerRunner, ChatDialog, InlineAnswers
from .main_dialog import MainDialog

__all__ = ["AnswerRunner", "ChatAnswerer", "ChatDialog", "ChatSettings", "InlineAnswers", "MainDialog"]
