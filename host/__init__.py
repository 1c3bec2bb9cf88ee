"""The HTTP side of the bot: the messages endpoint, health checks and the adapter's error handling."""

from .http_errors import json_errors
from .messages import MessagesEndpoint
from .turn_errors import on_turn_error

__all__ = ["MessagesEndpoint", "json_errors", "on_turn_error"]
