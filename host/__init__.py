"""The HTTP side of the bot: the messages endpoint, health checks and the adapter's error handling.

The botbuilder endpoint loads on first use, so that the Agents SDK host imports this package (its
settings, `json_errors`, `on_turn_error`) without botbuilder.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .http_errors import json_errors
from .turn_errors import on_turn_error

if TYPE_CHECKING:
    from .messages import MessagesEndpoint

_ON_FIRST_USE = {"MessagesEndpoint": ".messages"}


def __getattr__(name: str) -> Any:
    """The botbuilder endpoint, imported on first use."""
    if name not in _ON_FIRST_USE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_ON_FIRST_USE[name], __name__), name)


__all__ = ["MessagesEndpoint", "json_errors", "on_turn_error"]
