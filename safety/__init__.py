"""Protections around the model: per-user limits (`UserLimits`) and content moderation (`Moderator`),
SDK-free, and the botbuilder middleware that applies them (loaded on first use, so that the Agents SDK
host imports this package without botbuilder)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .moderator import Moderator
from .settings import SafetySettings
from .user_limits import UserLimits

if TYPE_CHECKING:
    from .limits import UserLimitsMiddleware
    from .moderation import ModerationMiddleware

_ON_FIRST_USE = {"ModerationMiddleware": ".moderation", "UserLimitsMiddleware": ".limits"}


def __getattr__(name: str) -> Any:
    """The botbuilder middleware, imported on first use."""
    if name not in _ON_FIRST_USE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_ON_FIRST_USE[name], __name__), name)


__all__ = ["ModerationMiddleware", "Moderator", "SafetySettings", "UserLimits", "UserLimitsMiddleware"]
