"""Content moderation of the answer on its way out: nothing blocked is ever shown."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from .answer_text import AnswerText

logger = logging.getLogger(__name__)


class AnswerFilter(Protocol):
    """What decides which answer text may be shown (see `safety.moderator.Moderator`)."""

    def first_blocked(self, text: str) -> int | None:
        """Where blocked content starts in `text`, if anywhere (cheap: called before every update)."""
        ...

    async def answer_flagged(self, text: str) -> bool:
        """Whether the finished answer must be withheld (may ask a service; called once)."""
        ...


class OutgoingFilter:
    """Applies an `AnswerFilter` to one answer: how far it may be shown, and what is withheld at the end.

    `on_blocked` is called once, when blocked content first appears, so that the model stops.
    """

    def __init__(self, answer_filter: AnswerFilter | None, on_blocked: Callable[[], None]) -> None:
        self._filter = answer_filter
        self._on_blocked = on_blocked
        self._blocked = False

    def allowed_end(self, answer: AnswerText) -> int:
        """How far the text may be shown; what was shown already cannot be taken back."""
        if self._filter is None:
            return len(answer.text)
        blocked = self._filter.first_blocked(answer.text)
        if blocked is None:
            return len(answer.text)
        if not self._blocked:
            self._blocked = True
            logger.info("the content filter blocked part of the answer")
            self._on_blocked()
        return max(len(answer.text[:blocked].rstrip()), answer.shown_end)

    async def withhold(self, answer: AnswerText) -> bool:
        """Cut the finished answer before content the filter blocks, or back to what was shown if
        the whole answer is flagged; True if anything was withheld."""
        if self._filter is None:
            return False
        allowed = self.allowed_end(answer)
        flagged = False
        if allowed == len(answer.text) and answer.text and await self._filter.answer_flagged(answer.text):
            logger.info("the content filter flagged the answer")
            allowed, flagged = answer.shown_end, True
        if allowed < len(answer.text):
            answer.cut(allowed)
            return True
        return flagged
