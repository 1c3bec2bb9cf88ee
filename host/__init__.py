"""The HTTP side of the bot: the messages endpoint and the adapter's error handling."""

from .messages import MessagesEndpoint
from .turn_errors import on_turn_error

__all__ = ["MessagesEndpoint", "on_turn_error"]
