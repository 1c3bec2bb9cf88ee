"""The HTTP side of the bot: the messages endpoint, health checks and the adapter's error handling.

The botbuilder endpoint loads on first use, so that the Agents SDK host imports this package (its
settings, `json_errors`, `on_turn_error`) without botbuilder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from on_first_use import attributes_on_first_use

from .http_errors import json_errors
from .turn_errors import on_turn_error

if TYPE_CHECKING:
    from .messages import MessagesEndpoint

_ON_FIRST_USE = {"MessagesEndpoint": ".messages"}


__getattr__ = attributes_on_first_use(__name__, _ON_FIRST_USE)


__all__ = ["MessagesEndpoint", "json_errors", "on_turn_error"]
