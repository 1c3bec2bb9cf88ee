"""One send that must arrive: tried again after a 429 (its Retry-After), a 412, a 5xx or a lost
connection, until a deadline. Answers' final messages and notifications go out this way."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from .channel_stream import DeliveryTally
from .clock import Clock
from .pacing import TRANSIENT_BACKOFF, Pacer, backoff
from .send_errors import RETRYABLE, SendError, SendFailure

logger = logging.getLogger(__name__)


async def send_until_delivered(
    send: Callable[[], Awaitable[object]],
    what: str,
    *,
    clock: Clock,
    deadline: float,
    tally: DeliveryTally | None = None,
    pacer: Pacer | None = None,
) -> SendError | None:
    """Run `send` (describe it as `what` in the log) until it succeeds or `deadline` seconds have passed.

    Each try waits for `pacer`, if given, which hears of the success; `tally` counts the retries.
    Returns None when delivered, or the channel's last refusal: one that cannot be retried, or the
    one whose wait would end past the deadline.
    """
    ends_at = clock.now() + deadline
    attempt = 0
    while True:
        if pacer is not None:
            await clock.sleep(pacer.next_send_at - clock.now())
        try:
            await send()
        except SendError as error:
            wait = error.retry_after if error.retry_after is not None else backoff(attempt, TRANSIENT_BACKOFF)
            if error.failure not in RETRYABLE or clock.now() + wait > ends_at:
                logger.warning("could not deliver %s: %s", what, error)
                return error
            if tally is not None:
                tally.retries += 1
                if error.failure is SendFailure.RATE_LIMITED:
                    tally.rate_limited += 1
            logger.info("%s failed (%s); retrying in %.1fs", what, error, wait)
            await clock.sleep(wait)
            attempt += 1
        else:
            now = clock.now()
            if pacer is not None:
                pacer.sent(now)
            if tally is not None:
                tally.text_shown(now)
            return None
