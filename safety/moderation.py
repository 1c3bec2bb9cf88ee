"""Content moderation in the pipeline: the user's text before the model, the answer on its way out.

Blocked terms are configured; the model provider's moderation endpoint is optional. What is
blocked is logged by reason, never with the user's text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable

from botbuilder.core import Middleware, TurnContext
from botbuilder.schema import ActivityTypes

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

    async def _flagged_by_service(self, text: str) -> bool:
        if self._service is None:
            return False
        try:
            return await self._service(text)
        except Exception as error:
            # Failing open: a moderation outage should not silence the bot; the operator is told.
            logger.warning("moderation service failed, text let through: %s", type(error).__name__)
            return False


class ModerationMiddleware(Middleware):
    """Refuses a blocked message before it reaches a dialog or the model. (Answers get the same
    moderator as their `AnswerFilter` where app.py builds `ChatAnswer`.)"""

    def __init__(self, moderator: Moderator) -> None:
        self._moderator = moderator

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        activity = context.activity
        if activity.type == ActivityTypes.message and activity.text:
            reason = await self._moderator.blocks(activity.text)
            if reason is not None:
                logger.info("blocked a message: %s", reason)
                await context.send_activity(BLOCKED_REPLY)
                return
        await logic()
