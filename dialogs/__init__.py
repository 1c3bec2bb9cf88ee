"""The bot's dialogs, on botbuilder, and what they keep in state.

The dialogs load on first use: the Agents SDK host imports the SDK-free modules here (`commands`,
`user_profile`, `group_chat`, `turn_changes`' `HISTORY_PROPERTY`) without botbuilder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from on_first_use import attributes_on_first_use

from .turn_changes import HISTORY_PROPERTY, TurnChanges

if TYPE_CHECKING:
    from .cancel_and_help_dialog import CancelAndHelpDialog
    from .chat_dialog import AnswerRunner, AnswerWork, ChatDialog, InlineAnswers
    from .help_dialog import HelpDialog
    from .main_dialog import MainDialog
    from .reset_dialog import ResetDialog
    from .settings_dialog import SettingsDialog

_ON_FIRST_USE = {
    "AnswerRunner": ".chat_dialog",
    "AnswerWork": ".chat_dialog",
    "CancelAndHelpDialog": ".cancel_and_help_dialog",
    "ChatDialog": ".chat_dialog",
    "HelpDialog": ".help_dialog",
    "InlineAnswers": ".chat_dialog",
    "MainDialog": ".main_dialog",
    "ResetDialog": ".reset_dialog",
    "SettingsDialog": ".settings_dialog",
}


__getattr__ = attributes_on_first_use(__name__, _ON_FIRST_USE)


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
