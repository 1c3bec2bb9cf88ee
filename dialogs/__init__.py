"""The bot's dialogs."""

from .chat_dialog import ChatDialog, ChatSettings
from .main_dialog import MainDialog

__all__ = ["ChatDialog", "ChatSettings", "MainDialog"]
