"""What the protections around the model allow: per-user limits, blocked terms, the moderation service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ModerationService = Literal["off", "openai"]
"""`openai`: also ask the model provider's /moderations endpoint."""


@dataclass(frozen=True)
class SafetySettings:
    """Per-user limits (see `limits`) and moderation (see `moderation`); by default nothing is moderated."""

    max_message_chars: int = 4000
    messages_per_minute: float = 30.0
    message_burst: int = 10
    max_answers_per_user: int = 2  # answers one user may have running at once, across conversations
    blocked_terms: tuple[str, ...] = ()
    moderation: ModerationService = "off"
