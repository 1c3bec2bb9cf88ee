"""Protections around the model: per-user limits (`UserLimits`) and content moderation (`Moderator`),
SDK-free, and the botbuilder middleware that applies them (loaded on first use, so that the Agents SDK
host imports this package without botbuilder)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from on_first_use import attributes_on_first_use

from .moderator import Moderator, moderator_for
from .settings import SafetySettings
from .user_counts import RunningAnswers
from .user_limits import UserLimits, user_limits_for

if TYPE_CHECKING:
    from .limits import UserLimitsMiddleware
    from .moderation import ModerationMiddleware

_ON_FIRST_USE = {"ModerationMiddleware": ".moderation", "UserLimitsMiddleware": ".limits"}


__getattr__ = attributes_on_first_use(__name__, _ON_FIRST_USE)


__all__ = [
    "ModerationMiddleware",
    "Moderator",
    "RunningAnswers",
    "SafetySettings",
    "UserLimits",
    "UserLimitsMiddleware",
    "moderator_for",
    "user_limits_for",
]
