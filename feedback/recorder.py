"""Ratings kept and counted: each one in the state storage (shared by every instance and both hosts),
then told to the observers (metrics, telemetry). What users write is never logged."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, Protocol

from .ratings import Feedback, FeedbackActivity, feedback_key, read_feedback

logger = logging.getLogger(__name__)

SaveDocuments = Callable[[dict[str, Any]], Awaitable[object]]
"""Writes JSON documents by key to the state storage, overwriting (a storage's `write`)."""


class FeedbackObserver(Protocol):
    """Counts feedback (metrics, telemetry)."""

    def feedback_received(self, reaction: str) -> None: ...


class FeedbackRecorder:
    """Reads the rating a feedback invoke carries, saves it with `save`, and tells `observers`."""

    def __init__(self, save: SaveDocuments, observers: Sequence[FeedbackObserver] = ()) -> None:
        self._save = save
        self._observers = observers

    async def record(self, activity: FeedbackActivity) -> Feedback:
        """Store and count the rating in `activity`; raises `MalformedFeedback`, storing nothing.

        A storage outage is raised too: it fails the turn as in any other turn (host/turn_errors.py).
        """
        feedback = read_feedback(activity, datetime.now(UTC))
        await self._save({feedback_key(activity, feedback): asdict(feedback)})
        for observer in self._observers:
            observer.feedback_received(feedback.reaction)
        rated = feedback.answer_id or "an answer without an id"
        logger.info("feedback stored: %s on %s", feedback.reaction, rated)
        return feedback
