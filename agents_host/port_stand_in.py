"""TEMPORARY stand-in for the SDK-free core's channel port, until it lands; then import from there.

Copies of PORT.md's `streaming/channel.py` (the port) and of the SDK-free part of
`streaming/send_errors.py` (`SendFailure`, `SendError`, `failure_for`, Retry-After parsing): the
`streaming/send_errors.py` in this branch still imports botbuilder and msrest. Replace every import
of this module with `streaming.channel` and `streaming.send_errors`, then delete it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal, Protocol

StreamType = Literal["informative", "streaming", "final"]


@dataclass(frozen=True)
class StreamInfo:
    """Where an activity stands in its stream."""

    stream_type: StreamType
    stream_id: str | None  # None on a stream's first send
    sequence: int | None  # None on the final


@dataclass(frozen=True)
class Outgoing:
    """One activity the engine sends."""

    kind: Literal["message", "typing"]
    text: str | None = None  # messages are Markdown (textFormat "markdown")
    stream: StreamInfo | None = None


class ChannelPort(Protocol):
    """How the engine sends to the channel, whatever the SDK."""

    async def send(self, activity: Outgoing) -> str | None:
        """Send; return the id the channel gave it, None if none. Raise `SendError` when refused."""
        ...


@dataclass(frozen=True)
class ConversationFacts:
    """What the engine needs to know about the conversation to plan delivery."""

    channel_id: str
    conversation_type: str | None  # Teams: "personal", "groupChat", "channel"
    expect_replies: bool  # deliveryMode expectReplies: replies go in the HTTP response


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
    """What a refused send means, from its HTTP status and the error's code and message (any case)."""
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
    """A Retry-After header's delay in seconds; None if absent or an HTTP date (rare from the connector)."""
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None
