"""What a failed send to the channel means, and whether to try again.

The connector client raises `ErrorResponseException` for HTTP errors (status in
`e.response.status_code`, code and message in `e.error.error`) and other exceptions for
connection failures. Teams tells the 403 cases apart only by their message text.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import Enum

import aiohttp
from botbuilder.schema import ErrorResponseException
from msrest.exceptions import ClientRequestError


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


def classify(error: BaseException) -> SendError | None:
    """The `SendError` for an exception raised by a send, or None if it is not a send failure."""
    if isinstance(error, SendError):
        return error
    if isinstance(error, ErrorResponseException):
        status = error.response.status_code if error.response is not None else None
        body = getattr(error.error, "error", None)
        code = (getattr(body, "code", None) or "").lower()
        message = getattr(body, "message", None) or str(error)
        retry_after = _retry_after(error.response.headers if error.response is not None else {})
        return SendError(_failure_for(status, code, message.lower()), status, message, retry_after)
    if isinstance(error, (ClientRequestError, aiohttp.ClientError, ConnectionError, asyncio.TimeoutError)):
        return SendError(SendFailure.TRANSIENT, None, f"{type(error).__name__}: {error}")
    return None


def _failure_for(status: int | None, code: str, message: str) -> SendFailure:
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


def _retry_after(headers: object) -> float | None:
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None  # An HTTP date: rare from the Bot Connector; fall back to our own backoff.
