"""The bot's dialogs."""

from .cancel_and_help_dialog import CancelAndHelpDialog
from .chat_dialog import AnswerRunner, AnswerWork, ChatDialog, InlineAnswers
from .help_dialog import HelpDialog
from .main_dialog import MainDialog
from .reset_dialog import ResetDialog
from .settings_dialog import SettingsDialog
from .turn_changes import HISTORY_PROPERTY, TurnChanges

__all__ = [
    "HISTORY_PROPERTY",
    "AnswerRunner",
    "AnswerWork",
    "CancelAndHelpDialog",
    "ChatDialog",
    "HelpDialog",
    "InlineAnswers",
    "MainDialog",
    "ResetDialog",
    "SettingsDialog",
    "TurnChanges",
]
