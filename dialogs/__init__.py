"""The bot's dialogs."""

from .cancel_and_help_dialog import CancelAndHelpDialog
from .chat_answerer import ChatAnswerer, ChatSettings
from .chat_dialog import AnswerRunner, ChatDialog, InlineAnswers
from .help_dialog import HelpDialog
from .main_dialog import MainDialog
from .reset_dialog import ResetDialog
from .settings_dialog import SettingsDialog

__all__ = [
    "AnswerRunner",
    "CancelAndHelpDialog",
    "ChatAnswerer",
    "ChatDialog",
    "ChatSettings",
    "HelpDialog",
    "InlineAnswers",
    "MainDialog",
    "ResetDialog",
    "SettingsDialog",
]
