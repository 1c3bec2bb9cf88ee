"""The pace of one stream: the channel's interval, widened after a 429, recovered gradually."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

SLOWDOWN = 2.0  # how much a 429 widens the interval
RECOVERY = 0.8  # how much each successful send narrows it again, down to the channel's interval
TRANSIENT_BACKOFF = 0.25  # the first wait after a transient failure, doubled for each one after


@dataclass
class Pacer:
    """When the next send may start, counted from the end of the previous one."""

    interval: float
    ceiling: float
    current: float = field(init=False)
    next_send_at: float = 0.0

    def __post_init__(self) -> None:
        self.current = self.interval

    def sent(self, now: float) -> None:
        """A send ended successfully at `now`."""
        self.next_send_at = now + self.current
        self.current = max(self.interval, self.current * RECOVERY)

    def rate_limited(self, now: float, retry_after: float | None) -> None:
        """The channel answered 429 at `now`: wait as told, and slow down."""
        self.current = min(self.ceiling, self.current * SLOWDOWN)
        self.next_send_at = now + max(retry_after or 0.0, self.current)

    def backed_off(self, now: float, attempt: int) -> None:
        """A transient failure at `now`: wait an exponential, jittered time before trying again."""
        self.next_send_at = now + max(self.current, backoff(attempt, TRANSIENT_BACKOFF))


def backoff(attempt: int, base: float, cap: float = 8.0) -> float:
    """Exponential backoff with jitter: between half and all of `base * 2**attempt`, at most `cap`."""
    delay = min(cap, base * 2**attempt)
    return delay * random.uniform(0.5, 1.0)
