"""What moderation lets pass: configured blocked terms and, optionally, the provider's moderation service.

SDK-free: each host refuses a blocked message in its own middleware (`safety.moderation` for
botbuilder), and answers get the same `Moderator` as their `AnswerFilter`. What is blocked is
logged by reason, never with the user's text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable

import openai

from llm.moderation import OpenAIModeration

from .settings import SafetySettings

logger = logging.getLogger(__name__)

BLOCKED_REPLY = "Sorry, I can't help with that request."

FlaggedCheck = Callable[[str], Awaitable[bool]]


class Moderator:
    """Decides what may pass: no configured blocked term (whole words, any case) and, if a
    moderation service is given, nothing it flags. It is also the answer stream's `AnswerFilter`."""

    def __init__(self, blocked_terms: Iterable[str], service: FlaggedCheck | None = None) -> None:
        terms = sorted({term.strip() for term in blocked_terms if term.strip()}, key=len, reverse=True)
        self._pattern = (
            re.compile(
                r"(?<!\w)(?:" + "|".join(re.escape(term) for term in terms) + r")(?!\w)", re.IGNORECASE
            )
            if terms
            else None
        )
        self._service = service

    @property
    def active(self) -> bool:
        return self._pattern is not None or self._service is not None

    def first_blocked(self, text: str) -> int | None:
        if self._pattern is None:
            return None
        match = self._pattern.search(text)
        return match.start() if match else None

    async def answer_flagged(self, text: str) -> bool:
        return await self._flagged_by_service(text)

    async def blocks(self, text: str) -> str | None:
        """Why `text` is blocked ("blocked term" or "moderation service"), or None."""
        if self.first_blocked(text) is not None:
            return "blocked term"
        if await self._flagged_by_service(text):
            return "moderation service"
        return None

    async def refusal(self, text: str | None) -> str | None:
        """The reply that refuses a user's message `text`, or None if it may pass; logs why."""
        reason = await self.blocks(text) if text else None
        if reason is None:
            return None
        logger.info("blocked a message: %s", reason)
        return BLOCKED_REPLY

    async def _flagged_by_service(self, text: str) -> bool:
        if self._service is None:
            return False
        try:
            return await self._service(text)
        except Exception as error:
            # Failing open: a moderation outage should not silence the bot; the operator is told.
            logger.warning("moderation service failed, text let through: %s", type(error).__name__)
            return False


def moderator_for(settings: SafetySettings, client: openai.AsyncOpenAI | None) -> Moderator:
    """The moderation the settings ask for: blocked terms, and with `MODERATION=openai` the provider's
    moderation endpoint through the model's client."""
    service = (
        OpenAIModeration(client).flagged if client is not None and settings.moderation == "openai" else None
    )
    return Moderator(settings.blocked_terms, service)
