"""The stream open on the channel, and the tally of everything the answer sent."""

from __future__ import annotations

from dataclasses import dataclass, field

from .answer_marks import AnswerMarks
from .channel import ChannelPort, Outgoing, StreamInfo, StreamType
from .clock import Clock


@dataclass
class DeliveryTally:
    """What the answer's sends came to, for its report."""

    updates: int = 0
    rate_limited: int = 0
    retries: int = 0
    update_lags: list[float] = field(default_factory=list)
    first_text_at: float | None = None

    def text_shown(self, at: float) -> None:
        """The user saw answer text at `at` (the first time counts)."""
        if self.first_text_at is None:
            self.first_text_at = at


class ChannelStream:
    """Sends through the port, and keeps the open stream's id and sequence.

    `streaming` is whether this answer may still stream: it starts as the delivery plan says and
    falls to False for good when the channel refuses streaming; the rest then goes as messages.
    """

    def __init__(self, port: ChannelPort, clock: Clock, *, streaming: bool) -> None:
        self._port = port
        self._clock = clock
        self.streaming = streaming
        self.stream_id: str | None = None
        self.sequence = 0
        self.opened_at = 0.0

    @property
    def is_open(self) -> bool:
        return self.streaming and self.stream_id is not None

    def age(self) -> float:
        """Seconds since the open stream's first send."""
        return self._clock.now() - self.opened_at

    async def send_update(self, stream_type: StreamType, text: str) -> bool:
        """Send the next update, opening the stream on its first; False if the channel gave it no id.

        Raises `SendError` when the channel refuses it.
        """
        info = StreamInfo(stream_type, self.stream_id, self.sequence + 1)
        reply_id = await self._port.send(Outgoing("typing", text, info))
        if self.stream_id is None:
            if not reply_id:
                return False
            self.stream_id = reply_id
            self.opened_at = self._clock.now()
        self.sequence += 1
        return True

    def final(self, text: str, marks: AnswerMarks | None = None) -> Outgoing:
        """The final message of the open stream, with the answer's `marks` if it is its last."""
        return Outgoing("message", text, StreamInfo("final", self.stream_id, None), marks)

    def close(self) -> None:
        """The open stream is finished, or refused for good: nothing more goes on it."""
        self.stream_id = None
        self.sequence = 0

    async def send(self, activity: Outgoing) -> None:
        """Send `activity` as it is (a final, a message, typing); raises `SendError` on refusal."""
        await self._port.send(activity)
