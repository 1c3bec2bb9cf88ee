"""One answer's way to the user: the caller feeds text, the stream decides what to send and when.

On a streaming channel the user sees an informative "Thinking…" line, then the answer growing in
one bubble, then the final message. Elsewhere the user sees typing, then the whole answer at once.
Whatever happens (errors, 429s, the user pressing Stop, a new message, shutdown, a silent model,
an answer longer than a channel allows), the user ends up with every word of the answer that was
produced, or with a short note saying why it stopped.

The parts, each owning its own state: `AnswerText` (the text and the current piece),
`ModelFeed` (reading the model, the idle watchdog), `UpdateSender` (stream updates or typing, at
the channel's pace), `FinalDelivery` (final messages, retried), `ChannelStream` (the open stream
on the channel), `OutgoingFilter` (moderation on the way out). `AnswerStream` joins them and
decides how the answer ended.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from types import TracebackType
from typing import Protocol, Self

from llm import ModelSignal

from .answer_marks import AnswerMarks, Citation, sources_text
from .answer_text import AnswerText
from .channel import ChannelPort
from .channel_stream import ChannelStream, DeliveryTally
from .clock import Clock, LoopClock
from .content_filter import AnswerFilter, OutgoingFilter
from .delivery import DeliveryPlan, StreamingSettings, pacer_for
from .early_sign import ShownSign
from .final_delivery import FinalDelivery
from .leases import ProgressLog
from .model_feed import ModelFeed
from .notes import (
    CUT_OFF_NOTE,
    CUT_OFF_NOTES,
    DEFAULT_INFORMATIVE_TEXT,
    EMPTY_ANSWER_TEXT,
    INTERRUPTED_NOTE,
    REASONING_TEXT,
    STOP_NOTES,
    failure_note,
    with_note,
)
from .outcome import STOP_OUTCOMES, AnswerObserver, AnswerOutcome, AnswerReport, StopReason
from .pacing import Pacer
from .update_sender import UpdateSender

logger = logging.getLogger(__name__)


class AnswerSlot(Protocol):
    """The conversation an answer belongs to (see `ConversationScheduler`)."""

    @property
    def progress(self) -> ProgressLog | None:
        """Where the answer records what the user has seen, so that another instance could finish it."""
        ...

    def attach(self, answer: AnswerStream) -> None:
        """Called when the answer opens, so that a new message can interrupt it."""
        ...

    def shared_pacer(self, own: Pacer) -> Pacer:
        """The conversation's pacer, so that the pace holds between its streams; `own` if it has none."""
        ...

    def keep_sign(self, sign: ShownSign) -> None:
        """The answer's first sign is out already (see `early_sign`): the answer takes over from it."""
        ...

    def take_sign(self) -> ShownSign | None:
        """The first sign shown for this answer before it opened, if any; taken once."""
        ...


class AnswerStream:
    """Delivers one answer through `port` according to `plan`; use it as `async with`.

    `slot` is the conversation it belongs to, `answer_filter` the moderation it must pass, and
    `clock` the time it runs on (the event loop's by default). `marks` (the AI label, citations,
    feedback, sensitivity) go on the answer's last message, if the model wrote any of its text;
    its citations are also listed under the text where the client does not read them otherwise.
    """

    def __init__(
        self,
        port: ChannelPort,
        plan: DeliveryPlan,
        settings: StreamingSettings | None = None,
        *,
        clock: Clock | None = None,
        slot: AnswerSlot | None = None,
        answer_filter: AnswerFilter | None = None,
        informative_text: str = DEFAULT_INFORMATIVE_TEXT,
        observer: AnswerObserver | None = None,
        marks: AnswerMarks | None = None,
    ) -> None:
        self._plan = plan
        self._marks = marks
        self._settings = settings or StreamingSettings()
        self._clock = clock or LoopClock()
        self._slot = slot
        self._observer = observer
        self._stop_reason: StopReason | None = None
        self._failure: str | None = None
        self._final_text: str | None = None
        self._ending = False
        self._reasoning_shown = False
        self._started_at = 0.0
        pacer = pacer_for(plan, self._settings)
        if slot is not None:
            pacer = slot.shared_pacer(pacer)
        self._text = AnswerText()
        self._tally = DeliveryTally()
        self._stream = ChannelStream(
            port, self._clock, streaming=plan.stream, progress=slot.progress if slot is not None else None
        )
        self._filter = OutgoingFilter(answer_filter, lambda: self.interrupt(StopReason.CONTENT_FILTERED))
        self._final = FinalDelivery(
            self._text,
            self._stream,
            pacer,
            self._clock,
            self._settings,
            self._tally,
            on_user_stopped=self._user_stopped,
            user_stopped=lambda: self._stop_reason is StopReason.STOPPED_BY_USER,
        )
        self._sender = UpdateSender(
            self._text,
            self._stream,
            self._final,
            self._filter,
            pacer,
            self._clock,
            plan,
            self._settings,
            self._tally,
            informative_text=informative_text,
            model_finished=lambda: self._feed.finished,
            on_user_stopped=self._user_stopped,
        )
        self._feed = ModelFeed(
            self._text,
            self._clock,
            idle_timeout=self._settings.model_idle_timeout,
            next_update_at=self._sender.next_send_at,
            on_text=self._sender.news,
            on_reasoning=self._model_reasons,
            on_silent=lambda: self.interrupt(StopReason.MODEL_SILENT),
        )

    @property
    def text(self) -> str:
        """The answer text received so far."""
        return self._text.text

    @property
    def final_text(self) -> str | None:
        """What the user ended up with (the answer and any note), once the stream has ended."""
        return self._final_text

    @property
    def outcome(self) -> AnswerOutcome:
        if self._stop_reason is not None:
            return STOP_OUTCOMES[self._stop_reason]
        if self._failure:
            return AnswerOutcome.FAILED
        return AnswerOutcome.CUT_OFF if self._feed.cut_off else AnswerOutcome.COMPLETE

    def queue_informative(self, text: str) -> None:
        """Show a status line (such as "Searching…") until the answer text starts."""
        self._sender.queue_informative(text)

    def cite(self, citations: Sequence[Citation]) -> None:
        """Add sources found while answering (by a tool, say); those the text cites go with it."""
        marks = self._marks or AnswerMarks(ai_generated=False)
        self._marks = replace(marks, citations=(*marks.citations, *citations))

    def append(self, delta: str) -> None:
        """Add the next piece of the answer."""
        self._feed.append(delta)

    async def consume(self, deltas: AsyncIterator[str | ModelSignal], *, batched: bool = False) -> None:
        """Append the text `deltas` yields. An interruption, or the model staying silent for
        `settings.model_idle_timeout`, stops it early and closes `deltas` (so the model stops).

        A `ModelSignal` is a sign of life, not text: it keeps the model from counting as silent,
        and while no text is visible `REASONING` shows that the model reasons. An `AnswerCutOff`
        ends the answer with the text and a note saying why.

        `batched`: `deltas` keeps receiving while it is not read (a network stream, see
        `ChatModel.streams_ahead`), so after text it is read only shortly before each update may go
        out, all that arrived meanwhile in one step, instead of once per token; after a sign of
        life it is read on at once (a tool round's calls are not held back until the next update).
        """
        await self._feed.consume(deltas, batched=batched)

    def interrupt(self, reason: StopReason) -> None:
        """Stop the answer early: the model request is closed and the final message says why."""
        if self._ending or self._stop_reason is not None:
            return
        self._stop_reason = reason
        self._feed.stop()
        self._sender.news()

    async def __aenter__(self) -> Self:
        self._started_at = self._clock.now()
        if self._observer is not None:
            self._observer.answer_started()
        sign = None
        if self._slot is not None:
            self._slot.attach(self)
            sign = self._slot.take_sign()
        if sign is not None and sign.refused is not None:
            logger.warning("channel refused streaming (%s); the answer will come as a message", sign.refused)
            self._stream.streaming = False
            sign = None
        if sign is not None and sign.stream_id is not None:
            await self._stream.adopt(sign.stream_id, sign.sent_at)
            self._tally.updates += 1
        self._sender.start(sign)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if exc is None:
            await self.end()
            return False
        if isinstance(exc, Exception):
            logger.error("answer failed while streaming", exc_info=(exc_type, exc, traceback))
            self._failure = type(exc).__name__
            await self.end(failure_note(exc))
            # The user has their answer and a note, so the error is handled here.
            return True
        # Our task was cancelled from outside: still give the user what they have, then go on.
        await self.end(INTERRUPTED_NOTE)
        return False

    async def end(self, note: str | None = None) -> None:
        """Send the final message(s): the rest of the text, plus a note if the answer was cut
        short. Idempotent."""
        if self._final_text is not None:
            return
        self._ending = True
        self._feed.stop()
        try:
            await self._sender.finish()
            user_stopped = self._stop_reason is StopReason.STOPPED_BY_USER
            if not user_stopped and await self._filter.withhold(self._text):
                self._stop_reason = self._stop_reason or StopReason.CONTENT_FILTERED
            if note is None and self._stop_reason is not None:
                note = STOP_NOTES.get(self._stop_reason)
            elif note is None and self._feed.cut_off is not None:
                note = CUT_OFF_NOTES.get(self._feed.cut_off, CUT_OFF_NOTE)
            if self._stop_reason is not StopReason.STOPPED_BY_USER:
                # Notes and the empty-answer text are the bot's own: they carry no marks.
                marks = self._marks if self._text.text else None
                tail = self._tail(marks, note)
                self._final_text = with_note(self._text.text, tail) or EMPTY_ANSWER_TEXT
                await self._final.deliver_rest(tail, marks)
            if self._stop_reason is StopReason.STOPPED_BY_USER:
                # The channel refuses anything more on this stream (its final too, if the user
                # pressed Stop before it went out); the user chose to see no more than it showed.
                self._final_text = self._text.text[: self._text.shown_end]
            await self._stream.ended(self.outcome, self._final_text or "")
        finally:
            self._report_end()  # Also when delivery failed unexpectedly: active answers must fall.

    def _tail(self, marks: AnswerMarks | None, note: str | None) -> str | None:
        """What follows the answer's text: its sources, where the client needs them in the text,
        then the note."""
        sources = sources_text(marks.citations, self._text.text, self._plan.citation_style) if marks else ""
        return "\n\n".join(part for part in (sources, note) if part) or None

    def _model_reasons(self, since: float) -> None:
        """The model reasons before any text: "Reasoning…", then the seconds so far on keep-alives."""
        if not self._reasoning_shown:
            self._reasoning_shown = True
            self._sender.queue_informative(REASONING_TEXT)
        elif seconds := int(self._clock.now() - since):
            self._sender.refresh_informative(f"{REASONING_TEXT} ({seconds} s)")

    def _user_stopped(self) -> None:
        """The user pressed Stop: stop the model, and send nothing more on this stream."""
        logger.info("the user stopped the answer")
        if self._stop_reason is None:
            self._stop_reason = StopReason.STOPPED_BY_USER
        self._feed.stop()

    def _report_end(self) -> None:
        """Log how the answer went and tell the observer (metrics, telemetry)."""
        report = self._report()
        logger.info(
            "answer %s: %d characters, %d updates, %d rate-limited, %d retried (%s)",
            report.outcome,
            report.characters,
            report.updates,
            report.rate_limited,
            report.retries,
            report.delivery,
        )
        if self._observer is not None:
            self._observer.answer_ended(report)

    def _report(self) -> AnswerReport:
        tally = self._tally
        return AnswerReport(
            outcome=self.outcome,
            delivery=self._plan.reason,
            characters=len(self._text.text),
            started_at=self._started_at,
            first_token_at=self._text.first_token_at,
            first_text_at=tally.first_text_at,
            updates=tally.updates,
            rate_limited=tally.rate_limited,
            retries=tally.retries,
            update_lags=tally.update_lags,
            failure=self._failure
            or (self._stop_reason if self._stop_reason is StopReason.MODEL_SILENT else None)
            or self._feed.cut_off,
        )
