"""Each user's message rate in this process: a token bucket per user, as one instance keeps it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .settings import SafetySettings

PRUNE_EVERY = 1000  # messages between clean-ups of the buckets of users who have gone quiet


@dataclass
class _Bucket:
    """A token bucket: `tokens` messages may be sent now; it refills over time up to its capacity."""

    tokens: float
    updated: float


class TokenBuckets:
    """`USER_MESSAGE_BURST` messages at once, refilled at `USER_MESSAGES_PER_MINUTE`, per user."""

    def __init__(self, settings: SafetySettings, clock: Callable[[], float] = time.monotonic) -> None:
        self._refill_per_second = settings.messages_per_minute / 60.0
        self._burst = settings.message_burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._seen = 0

    def take(self, user: str) -> bool:
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
