"""What a failed send to the channel means, and whether to try again.

Each SDK binding turns its own exceptions into a `SendError` with `failure_for`; the engine only
ever sees `SendError`. Teams tells its 403 cases apart only by their message text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class SendFailure(Enum):
    """Why a send failed, as far as what to do next is concerned."""

    RATE_LIMITED = "rate_limited"  # 429: wait (Retry-After), slow down, try again
    TRANSIENT = "transient"  # 412, 5xx, connection errors: back off and try again
    STOPPED_BY_USER = "stopped_by_user"  # the user pressed Stop: send nothing more on this stream
    STREAM_TIME_LIMIT = "stream_time_limit"  # the stream ran past the channel's time limit
    TOO_LARGE = "too_large"  # the text is over the channel's size limit
    STREAMING_NOT_ALLOWED = "streaming_not_allowed"  # this conversation cannot stream
    STREAM_COMPLETED = "stream_completed"  # the stream was already finished
    REJECTED = "rejected"  # anything else: the request itself is wrong


RETRYABLE = frozenset({SendFailure.RATE_LIMITED, SendFailure.TRANSIENT})


@dataclass
class SendError(Exception):
    """A classified send failure; `retry_after` is the channel's Retry-After in seconds, if given."""

    failure: SendFailure
    status: int | None
    detail: str
    retry_after: float | None = None

    def __str__(self) -> str:
        return f"{self.failure.value} (HTTP {self.status}): {self.detail}"


def failure_for(status: int | None, code: str, message: str) -> SendFailure:
    """The failure an HTTP answer means: its status (None: no answer), error code and message."""
    code, message = code.lower(), message.lower()
    if status == 429:
        return SendFailure.RATE_LIMITED
    if status == 403 or code == "contentstreamnotallowed":
        if "cancel" in message:
            return SendFailure.STOPPED_BY_USER
        if "streaming time" in message:
            return SendFailure.STREAM_TIME_LIMIT
        if "size too large" in message:
            return SendFailure.TOO_LARGE
        if "completed" in message:
            return SendFailure.STREAM_COMPLETED
        if code == "contentstreamnotallowed":
            return SendFailure.STREAMING_NOT_ALLOWED
        return SendFailure.REJECTED  # A 403 about something else, such as the bot's permissions.
    if status == 413 or code == "messagesizetoobig":
        return SendFailure.TOO_LARGE
    if status == 405 or "streaming api is not enabled" in message or "non personal scope" in message:
        return SendFailure.STREAMING_NOT_ALLOWED
    if status is None or status == 412 or status >= 500:
        return SendFailure.TRANSIENT
    return SendFailure.REJECTED


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header's delay in seconds; None if absent or an HTTP date (rare from the Bot
    Connector: the engine's own backoff applies then)."""
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None
