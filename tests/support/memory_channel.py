"""An in-memory channel for the streaming engine's unit tests.

It records every send at the clock's time, gives stream ids the way Teams does, refuses sends as a
test scripts it, and lists every break of the stream rules that `connector.py` enforces over HTTP
(a stream starts with text at sequence 1, each update is the next sequence, text only grows,
nothing follows the final, the final has no sequence) in `protocol_errors`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from streaming import Clock, Outgoing, SendError, SendFailure

Matcher = Callable[[Outgoing], bool]


@dataclass(frozen=True)
class Sent:
    """One send: when it reached the channel, what it was, and how the channel answered."""

    at: float
    activity: Outgoing
    reply_id: str | None
    refused: SendFailure | None

    @property
    def label(self) -> str:
        """The stream type or the activity's kind, and why the channel refused it, if it did."""
        stream = self.activity.stream
        label = stream.stream_type if stream is not None else self.activity.kind
        return label if self.refused is None else f"{label} refused: {self.refused.value}"


@dataclass
class Refusal:
    """Refuse the next `times` sends that `matches`, as the channel would with `failure`."""

    matches: Matcher
    failure: SendFailure
    status: int
    retry_after: float | None = None
    times: int = 1

    def error(self) -> SendError:
        return SendError(self.failure, self.status, "refused by the test", self.retry_after)


@dataclass
class _Stream:
    sequence: int
    text: str
    ended: bool = False


def of_type(stream_type: str, *, from_sequence: int = 1) -> Matcher:
    """Matches the stream sends of one type ("informative", "streaming" or "final"); updates only
    from a stream's `from_sequence`-th send on."""

    def matches(activity: Outgoing) -> bool:
        info = activity.stream
        if info is None or info.stream_type != stream_type:
            return False
        return info.sequence is None or info.sequence >= from_sequence

    return matches


@dataclass
class MemoryChannel:
    """A `ChannelPort` that answers at once, or after `send_duration` seconds of `clock`."""

    clock: Clock
    send_duration: float = 0.0
    sent: list[Sent] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    protocol_errors: list[str] = field(default_factory=list)
    _streams: dict[str, _Stream] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def refuse(
        self,
        matches: Matcher,
        failure: SendFailure,
        status: int,
        *,
        retry_after: float | None = None,
        times: int = 1,
    ) -> None:
        """Refuse the next `times` sends that `matches` with `failure` (HTTP `status`)."""
        self.refusals.append(Refusal(matches, failure, status, retry_after, times))

    async def send(self, activity: Outgoing) -> str | None:
        at = self.clock.now()
        refusal = next((r for r in self.refusals if r.times > 0 and r.matches(activity)), None)
        if refusal is not None:
            refusal.times -= 1
            self.sent.append(Sent(at, activity, None, refusal.failure))
            await self.clock.sleep(self.send_duration)
            raise refusal.error()
        reply_id = self._accept(activity)
        self.sent.append(Sent(at, activity, reply_id, None))
        await self.clock.sleep(self.send_duration)
        return reply_id

    def timeline(self) -> list[tuple[float, str, str | None]]:
        """(time, label, text) of every send, in the order they reached the channel."""
        return [(item.at, item.label, item.activity.text) for item in self.sent]

    def bubbles(self) -> list[str]:
        """What the user sees: each stream's last accepted text (its final's, if it got one), and
        each message; typing and status lines leave nothing."""
        shown: dict[str, str] = {}
        for item in self.sent:
            stream = item.activity.stream
            if item.refused is not None or item.activity.text is None:
                continue
            if stream is None and item.reply_id is not None:
                shown[item.reply_id] = item.activity.text
            elif stream is not None and stream.stream_type != "informative":
                shown[stream.stream_id or item.reply_id or ""] = item.activity.text
        return list(shown.values())

    def _accept(self, activity: Outgoing) -> str | None:
        """Apply the stream rules to an accepted send; the id the channel answers with."""
        info = activity.stream
        text = activity.text or ""
        if info is None:
            return f"message-{next(self._ids)}" if activity.kind == "message" else None
        if info.stream_id is None:
            if info.stream_type == "final" or info.sequence != 1 or not text:
                self.protocol_errors.append(f"bad stream start: {info} text={text!r}")
            stream_id = f"stream-{next(self._ids)}"
            self._streams[stream_id] = _Stream(1, text if info.stream_type == "streaming" else "")
            return stream_id
        stream = self._streams.get(info.stream_id)
        if stream is None:
            self.protocol_errors.append(f"unknown stream {info.stream_id}")
            return None
        if stream.ended:
            self.protocol_errors.append(f"{info.stream_type} after the final on {info.stream_id}")
        if not text.startswith(stream.text):
            self.protocol_errors.append(f"text does not continue the stream: {stream.text!r} -> {text!r}")
        if info.stream_type == "final":
            if info.sequence is not None:
                self.protocol_errors.append(f"final with sequence {info.sequence} on {info.stream_id}")
            stream.ended, stream.text = True, text
            return info.stream_id
        if info.sequence != stream.sequence + 1:
            self.protocol_errors.append(f"sequence {info.sequence} after {stream.sequence}")
            return None  # Teams drops an update that is out of order.
        stream.sequence += 1
        if info.stream_type == "streaming":
            stream.text = text
        return None
