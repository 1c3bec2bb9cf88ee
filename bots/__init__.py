"""The bot's activity handlers."""

from .chat_bot import ChatBot

__all__ = ["ChatBot"]
