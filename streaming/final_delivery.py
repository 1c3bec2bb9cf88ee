"""Final messages: the rest of the answer, retried until delivered, split where a message must end."""

from __future__ import annotations

import logging
from collections.abc import Callable

from .answer_marks import AnswerMarks
from .answer_text import AnswerText
from .channel import Outgoing
from .channel_stream import ChannelStream, DeliveryTally
from .clock import Clock
from .delivery import StreamingSettings
from .markdown import reopening_fence, split_piece, utf16_length
from .notes import EMPTY_ANSWER_TEXT, with_note
from .pacing import Pacer
from .retried_send import send_until_delivered
from .send_errors import SendError, SendFailure

logger = logging.getLogger(__name__)


class FinalDelivery:
    """Finishes pieces of the answer: the open stream's final, or a message where none is open.

    `on_user_stopped` is told when the channel says the user pressed Stop; `user_stopped()` says
    whether that has happened (nothing more is sent then).
    """

    def __init__(
        self,
        answer: AnswerText,
        stream: ChannelStream,
        pacer: Pacer,
        clock: Clock,
        settings: StreamingSettings,
        tally: DeliveryTally,
        *,
        on_user_stopped: Callable[[], None],
        user_stopped: Callable[[], bool],
    ) -> None:
        self._answer = answer
        self._stream = stream
        self._pacer = pacer
        self._clock = clock
        self._settings = settings
        self._tally = tally
        self._on_user_stopped = on_user_stopped
        self._user_stopped = user_stopped

    async def finish_piece(self, end: int) -> None:
        """Deliver the current piece up to `end`, as long as the size budget allows, and open the next."""
        answer = self._answer
        text = answer.text[answer.piece_start : end]
        seen = answer.shown_end - answer.piece_start
        piece = split_piece(answer.piece_lead, text, seen, self._settings.max_message_utf16)
        await self.deliver_piece(answer.piece_text(answer.piece_start + piece.end) + piece.closing)
        answer.open_piece(answer.piece_start + piece.end)
        await self._stream.piece_finished(answer.text[: answer.piece_start])

    async def deliver_rest(self, note: str | None, marks: AnswerMarks | None = None) -> None:
        """Send what the user has not got yet: the final of the current stream, then messages; the
        last of them carries `marks`."""
        answer = self._answer
        limit = self._settings.max_message_utf16
        pieces: list[str] = []
        lead, start, seen = answer.piece_lead, answer.piece_start, answer.shown_end
        while True:
            rest = answer.text[start:]
            if utf16_length(lead + rest) <= limit:
                pieces.append(lead + rest if rest else "")
                break
            piece = split_piece(lead, rest, seen - start, limit)
            pieces.append(lead + rest[: piece.end] + piece.closing)
            lead = reopening_fence(lead + rest[: piece.end])
            start = seen = start + piece.end
        last = with_note(pieces[-1], note)
        if last:
            pieces[-1] = last
        elif answer.piece_start and not self._stream.stream_id:
            pieces.pop()  # Earlier messages carried everything; no stream is left open.
        else:
            pieces[-1] = EMPTY_ANSWER_TEXT
        for number, piece in enumerate(pieces, start=1):
            await self.deliver_piece(piece, marks if number == len(pieces) else None)
            if self._user_stopped():
                return

    async def deliver_piece(self, text: str, marks: AnswerMarks | None = None) -> None:
        """Finish the open stream with `text`, or send `text` as a message if no stream is open."""
        stream = self._stream
        if stream.is_open:
            refusal = await self._deliver(stream.final(text, marks))
            stream.close()  # Finished, or refused for good: either way no more on it.
            if refusal is None:
                return
            if refusal.failure is SendFailure.STOPPED_BY_USER:
                self._on_user_stopped()
                return
            logger.warning(
                "final stream message refused (%s); sending the answer as a message", refusal.failure.value
            )
            stream.streaming = False
        refusal = await self._deliver(Outgoing("message", text, marks=marks))
        if refusal is not None:
            raise refusal  # The channel's own answer: its status and reason say why.

    async def _deliver(self, activity: Outgoing) -> SendError | None:
        """Send `activity`, retried until the delivery deadline: None when delivered, else the
        channel's last refusal."""
        return await send_until_delivered(
            lambda: self._stream.send(activity),
            "the answer's final message",
            clock=self._clock,
            deadline=self._settings.delivery_deadline,
            tally=self._tally,
            pacer=self._pacer,
        )
