"""The stream open on the channel, and the tally of everything the answer sent."""

from __future__ import annotations

from dataclasses import dataclass, field

from .answer_marks import AnswerMarks
from .channel import ChannelPort, Outgoing, StreamInfo, StreamType
from .clock import Clock
from .leases import AnswerProgress, ProgressLog
from .outcome import AnswerOutcome


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
    With a `progress` log, what the stream shows is recorded before each update that changes it
    (`will_show`, `progress.lead` ahead if the sender can), and its id once the channel gave one,
    so that another instance could finish it.
    """

    def __init__(
        self, port: ChannelPort, clock: Clock, *, streaming: bool, progress: ProgressLog | None = None
    ) -> None:
        self._port = port
        self._clock = clock
        self._progress = progress
        self._recorded: AnswerProgress | None = None
        self.streaming = streaming
        self.stream_id: str | None = None
        self.sequence = 0
        self.opened_at = 0.0
        self.sent_at = 0.0  # when the channel took the latest update
        self.record_lead = progress.lead if progress is not None else 0.0

    @property
    def is_open(self) -> bool:
        return self.streaming and self.stream_id is not None

    def age(self) -> float:
        """Seconds since the open stream's first send."""
        return self._clock.now() - self.opened_at

    async def adopt(self, stream_id: str, sent_at: float) -> None:
        """Go on with the stream that the answer's first sign opened at `sent_at` (see `early_sign`)."""
        self.stream_id = stream_id
        self.sequence = 1
        self.opened_at = self.sent_at = sent_at
        await self._record(stream_id, self.sequence, "", "")

    async def send_update(self, stream_type: StreamType, text: str, seen: str) -> bool:
        """Send the next update, opening the stream on its first; False if the channel gave it no id.

        `seen` is the whole answer the user will have seen with it. Raises `SendError` when the
        channel refuses it.
        """
        await self.will_show(stream_type, text, seen)  # Nothing to do if the sender did, ahead.
        info = StreamInfo(stream_type, self.stream_id, self.sequence + 1)
        reply_id = await self._port.send(Outgoing("typing", text, info))
        self.sent_at = self._clock.now()
        if self.stream_id is None:
            if not reply_id:
                return False
            self.stream_id = reply_id
            self.opened_at = self.sent_at
            self.sequence += 1
            await self._record(self.stream_id, self.sequence, _answer_text(stream_type, text), seen)
            return True
        self.sequence += 1
        return True

    async def will_show(self, stream_type: StreamType, text: str, seen: str) -> None:
        """Record what the next update will show, before it is sent (an update that shows no answer
        text changes nothing)."""
        if shown := _answer_text(stream_type, text):
            await self._record(self.stream_id, self.sequence + 1, shown, seen)

    async def piece_finished(self, seen: str) -> None:
        """The open stream (or message) was finished mid-answer: `seen` is shown, nothing is open."""
        await self._record(None, 0, "", seen)

    async def ended(self, outcome: AnswerOutcome, answer: str) -> None:
        """The answer's last message went out: the user ended up with `answer`."""
        await self._record(self.stream_id, self.sequence, "", answer, outcome)

    async def _record(
        self, stream_id: str | None, sequence: int, shown: str, seen: str, ended: AnswerOutcome | None = None
    ) -> None:
        """Record what the user sees, if that changed (a keep-alive changes nothing)."""
        if self._progress is None:
            return
        last = self._recorded
        if last is not None and (last.stream_id, last.shown, last.ended) == (stream_id, shown, ended):
            return
        self._recorded = AnswerProgress(stream_id, sequence, shown, seen, ended)
        await self._progress.record(self._recorded)

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


def _answer_text(stream_type: StreamType, text: str) -> str:
    """The answer text an update shows: an informative line is not answer text."""
    return text if stream_type == "streaming" else ""
