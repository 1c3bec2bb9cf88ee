"""The HTTP side of the bot: the messages endpoint, health checks and the adapter's error handling.

The botbuilder parts load on first use, so that the Agents SDK host imports `host.settings` and
`json_errors` without botbuilder.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .http_errors import json_errors

if TYPE_CHECKING:
    from .messages import MessagesEndpoint
    from .turn_errors import on_turn_error

_ON_FIRST_USE = {"MessagesEndpoint": ".messages", "on_turn_error": ".turn_errors"}


def __getattr__(name: str) -> Any:
    """The botbuilder parts, imported on first use."""
    if name not in _ON_FIRST_USE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_ON_FIRST_USE[name], __name__), name)


__all__ = ["MessagesEndpoint", "json_errors", "on_turn_error"]
