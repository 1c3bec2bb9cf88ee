"""Protections around the model: per-user limits and content moderation, as bot middleware."""

from .limits import UserLimitsMiddleware
from .moderation import ModerationMiddleware, Moderator
from .settings import SafetySettings

__all__ = ["ModerationMiddleware", "Moderator", "SafetySettings", "UserLimitsMiddleware"]
