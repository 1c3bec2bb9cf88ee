"""Per-user limits, each answered with a polite reply instead of a model call.

SDK-free: each host asks `UserLimits.refusal` in its own middleware (`safety.limits` for botbuilder).
The limits live in this process: behind a load balancer each instance applies them on its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from streaming import ConversationScheduler

from .settings import SafetySettings

logger = logging.getLogger(__name__)

TOO_LONG_REPLY = "Your message is {length:,} characters long; I can read up to {limit:,}. Please shorten it."
TOO_FAST_REPLY = "You're sending messages faster than I can answer them. Please wait a few seconds."
BUSY_REPLY = (
    "I'm still answering your questions in other chats. Please wait until one of those answers is finished."
)
PRUNE_EVERY = 1000  # messages between clean-ups of the buckets of users who have gone quiet


@dataclass
class _Bucket:
    """A token bucket: `tokens` messages may be sent now; it refills over time up to its capacity."""

    tokens: float
    updated: float


class UserLimits:
    """Message length cap, a per-user rate limit (token bucket), and a cap on a user's answers at once.

    A user may interrupt their own answer with a new message in the same conversation (that is how
    the bot works), but not start more than `max_answers` answers at once across conversations.
    """

    def __init__(
        self,
        scheduler: ConversationScheduler,
        settings: SafetySettings,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._scheduler = scheduler
        self._max_chars = settings.max_message_chars
        self._refill_per_second = settings.messages_per_minute / 60.0
        self._burst = settings.message_burst
        self._max_answers = settings.max_answers_per_user
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._seen = 0

    def refusal(self, user: str, text: str | None, conversation_key: str) -> str | None:
        """The reply refusing `user`'s message in the conversation `conversation_key`; None: it may pass."""
        length = len(text or "")
        if length > self._max_chars:
            logger.info("refused a message over the length limit (%d characters)", length)
            return TOO_LONG_REPLY.format(length=length, limit=self._max_chars)
        if not self._take(user):
            logger.info("refused a message over the user's rate limit")
            return TOO_FAST_REPLY
        if self._scheduler.answers_elsewhere(user, conversation_key) >= self._max_answers:
            logger.info("refused a message while the user's answers run in other conversations")
            return BUSY_REPLY
        return None

    def _take(self, user: str) -> bool:
        """Take one message from the user's bucket; False if it is empty."""
        now = self._clock()
        bucket = self._buckets.get(user) or _Bucket(float(self._burst), now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._refill_per_second)
        bucket.updated = now
        allowed = bucket.tokens >= 1.0
        if allowed:
            bucket.tokens -= 1.0
        self._buckets[user] = bucket
        self._seen += 1
        if self._seen % PRUNE_EVERY == 0:
            self._prune(now)
        return allowed

    def _prune(self, now: float) -> None:
        """Forget users whose buckets have refilled: they would start full anyway."""
        full_after = self._burst / self._refill_per_second if self._refill_per_second else float("inf")
        for user in [user for user, bucket in self._buckets.items() if now - bucket.updated >= full_after]:
            del self._buckets[user]
