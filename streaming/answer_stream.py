"""One answer's way to the user: the dialog feeds text, the stream decides what to send and when.

On a streaming channel the user sees an informative "Thinking…" line, then the answer growing in
one bubble, then the final message. Elsewhere the user sees typing, then the whole answer at once.
Whatever happens (errors, 429s, the user pressing Stop, a new message, shutdown, a silent model,
an answer longer than a channel allows), the user ends up with every word of the answer that was
produced, or with a short note saying why it stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes, ResourceResponse, TextFormatTypes

from llm import AnswerCutOff, ModelError, ModelSignal

from .delivery import DeliveryPlan, StreamingSettings
from .entities import StreamType, stamp_stream_info
from .markdown import closing_fence, readable_prefix, reopening_fence, split_piece, utf16_length
from .pacing import TRANSIENT_BACKOFF, Pacer, backoff
from .send_errors import RETRYABLE, SendError, SendFailure, classify

logger = logging.getLogger(__name__)

DEFAULT_INFORMATIVE_TEXT = "Thinking…"
INFORMATIVE_TEXT_LIMIT = 1000  # Teams rejects longer informative updates.
EMPTY_ANSWER_TEXT = "_(The model returned an empty answer.)_"
GENERIC_FAILURE_NOTE = "_(Something went wrong while answering. Please try again.)_"
INTERRUPTED_NOTE = "_(The answer was interrupted.)_"
REASONING_TEXT = "Reasoning…"
"""The informative line while a reasoning model reasons; keep-alives add the seconds so far."""
CUT_OFF_NOTES: dict[str, str] = {
    "length": "_(The answer was cut off: it reached the model's length limit.)_",
    "content_filter": "_(The answer was cut off by the model provider's content filter.)_",
}
CUT_OFF_NOTE = "_(The answer was cut off by the model.)_"
"""The note for a cut-off whose finish reason has no note of its own."""

ANSWER_SLOT_KEY = "streaming.answer_slot"
"""turn_state key of the `AnswerSlot` that may interrupt the answers of this turn."""
ANSWER_FILTER_KEY = "streaming.answer_filter"
"""turn_state key of the `AnswerFilter` that checks this turn's answers (see safety.moderation)."""
WITHHELD_NOTE = "_(The rest of this answer was withheld by the content filter.)_"
GATHER_LEAD = 0.01  # how long before an update may go out a batched source is read (seconds)
GATHER_MAX = 1.0  # the longest a batched source is left unread (the idle watchdog needs reads)
FINISH_GRACE = 0.1  # how long an update waits for the final message once the model has finished


class StopReason(StrEnum):
    """Why an answer stopped before the model finished it."""

    STOPPED_BY_USER = "stopped_by_user"  # the channel's Stop button: the channel refuses more sends
    STOP_COMMAND = "stop_command"  # the user typed stop or cancel: the final message says so
    NEW_MESSAGE = "new_message"
    SHUTDOWN = "shutdown"
    MODEL_SILENT = "model_silent"
    CONTENT_FILTERED = "content_filtered"


class AnswerOutcome(StrEnum):
    """How an answer ended, as recorded in the history and the logs."""

    COMPLETE = "complete"
    STOPPED = "stopped"  # the user pressed Stop, or typed stop or cancel
    INTERRUPTED = "interrupted"  # a new message or a shutdown cut it short
    FAILED = "failed"  # the model or the channel failed
    CUT_OFF = "cut_off"  # the model ended it early: its length limit or its provider's filter


STOP_NOTES: dict[StopReason, str] = {
    StopReason.STOP_COMMAND: "_(Stopped.)_",
    StopReason.NEW_MESSAGE: "_(Interrupted by your new message.)_",
    StopReason.SHUTDOWN: "_(The bot is restarting, so the answer stops here. Please ask again shortly.)_",
    StopReason.MODEL_SILENT: "_(The model stopped responding, so the answer ends here. Please try again.)_",
    StopReason.CONTENT_FILTERED: WITHHELD_NOTE,
}
STOP_OUTCOMES: dict[StopReason, AnswerOutcome] = {
    StopReason.STOPPED_BY_USER: AnswerOutcome.STOPPED,
    StopReason.STOP_COMMAND: AnswerOutcome.STOPPED,
    StopReason.NEW_MESSAGE: AnswerOutcome.INTERRUPTED,
    StopReason.SHUTDOWN: AnswerOutcome.INTERRUPTED,
    StopReason.MODEL_SILENT: AnswerOutcome.FAILED,
    StopReason.CONTENT_FILTERED: AnswerOutcome.FAILED,
}


@dataclass
class AnswerReport:
    """What happened to one answer (times from the event loop's clock), for metrics and logs."""

    outcome: AnswerOutcome
    delivery: str
    characters: int
    started_at: float
    first_token_at: float | None
    first_text_at: float | None
    ended_at: float
    updates: int
    rate_limited: int
    retries: int
    update_lags: list[float]
    failure: str | None

    @property
    def time_to_first_text(self) -> float | None:
        """Seconds from the start of the answer until its first text was visible, if it ever was."""
        return None if self.first_text_at is None else self.first_text_at - self.started_at

    @property
    def time_to_first_token(self) -> float | None:
        """Seconds from the start of the answer until the model's first text, if any came."""
        return None if self.first_token_at is None else self.first_token_at - self.started_at


class AnswerObserver(Protocol):
    """Told when each answer starts and ends (see `observability.BotMetrics`, `observability.otel`)."""

    def answer_started(self) -> None: ...

    def answer_ended(self, report: AnswerReport) -> None: ...


class AnswerObservers:
    """Several observers as one, so that an answer reports to each (Prometheus and OpenTelemetry)."""

    def __init__(self, *observers: AnswerObserver) -> None:
        self._observers = observers

    def answer_started(self) -> None:
        for observer in self._observers:
            observer.answer_started()

    def answer_ended(self, report: AnswerReport) -> None:
        for observer in self._observers:
            observer.answer_ended(report)


class AnswerFilter(Protocol):
    """Content moderation of the answer on its way out."""

    def first_blocked(self, text: str) -> int | None:
        """Where blocked content starts in `text`, if anywhere (cheap: called before every update)."""
        ...

    async def answer_flagged(self, text: str) -> bool:
        """Whether the finished answer must be withheld (may ask a service; called once)."""
        ...


class AnswerSlot(Protocol):
    """Whoever may interrupt this turn's answer (see `ConversationAnswers`)."""

    def attach(self, answer: AnswerStream) -> None: ...

    def shared_pacer(self, own: Pacer) -> Pacer:
        """The conversation's pacer, so that the pace holds between its streams; `own` if it has none."""
        ...


def failure_note(error: BaseException) -> str:
    """A short note for the user about why the answer ended early; never a trace."""
    if isinstance(error, ModelError):
        return f"_(The answer ended early: {error}. Please try again.)_"
    return GENERIC_FAILURE_NOTE


class AnswerStream:
    """Delivers one answer according to its `DeliveryPlan`; use it as `async with`.

    Streaming sends go out one at a time from a single worker task, at most once per interval
    counted from the end of the previous send; text that arrives in between is coalesced into the
    next update, which carries the whole text so far. An answer longer than one message allows, or
    than one stream may last, continues in a new stream or message.
    """

    def __init__(
        self,
        context: TurnContext,
        plan: DeliveryPlan,
        settings: StreamingSettings | None = None,
        *,
        informative_text: str = DEFAULT_INFORMATIVE_TEXT,
        observer: AnswerObserver | None = None,
    ) -> None:
        self._context = context
        self._observer = observer
        self._filter: AnswerFilter | None = context.turn_state.get(ANSWER_FILTER_KEY)
        self._plan = plan
        self._settings = settings or StreamingSettings()
        self._loop = asyncio.get_running_loop()
        self._streaming = plan.stream
        self._text = ""
        self._piece_start = 0  # where the current stream or message begins in the text
        self._piece_lead = ""  # what the piece shows before its text: the code fence it reopens
        self._shown_end = 0  # how far the channel has accepted the current stream's text
        self._status = informative_text[:INFORMATIVE_TEXT_LIMIT]
        self._status_pending = plan.stream
        self._stream_id: str | None = None
        self._sequence = 0
        self._stream_opened_at = 0.0
        self._pacer = Pacer(plan.interval, max(plan.interval, self._settings.max_interval))
        self._update_failures = 0
        self._wake = asyncio.Event()
        self._ending = False
        self._worker: asyncio.Task[None] | None = None
        self._pump: asyncio.Task[None] | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self._last_input_at = 0.0
        self._stop_reason: StopReason | None = None
        self._failure: str | None = None
        self._cut_off: str | None = None  # the model's finish reason, if it cut the answer off
        self._reasoning_since: float | None = None
        self._final_text: str | None = None
        self._started_at = 0.0
        self._first_token_at: float | None = None
        self._first_text_at: float | None = None
        self._unsent_since: float | None = None  # when text the user has not seen yet arrived
        self._update_lags: list[float] = []
        self.updates_sent = 0
        self.rate_limited = 0
        self.retries = 0

    @property
    def text(self) -> str:
        """The answer text received so far."""
        return self._text

    @property
    def final_text(self) -> str | None:
        """What the user ended up with (the answer and any note), once the stream has ended."""
        return self._final_text

    @property
    def stop_reason(self) -> StopReason | None:
        """Why the answer was stopped early, if it was; code that feeds `append` should check it."""
        return self._stop_reason

    @property
    def outcome(self) -> AnswerOutcome:
        if self._stop_reason is not None:
            return STOP_OUTCOMES[self._stop_reason]
        if self._failure:
            return AnswerOutcome.FAILED
        return AnswerOutcome.CUT_OFF if self._cut_off else AnswerOutcome.COMPLETE

    def queue_informative(self, text: str) -> None:
        """Show a status line (such as "Searching…") until the answer text starts."""
        if self._streaming and self._shown_end == 0 and text:
            self._status = text[:INFORMATIVE_TEXT_LIMIT]
            self._status_pending = True
            self._wake.set()

    def append(self, delta: str) -> None:
        """Add the next piece of the answer."""
        self._text += delta
        self._last_input_at = self._loop.time()
        if self._unsent_since is None:
            self._unsent_since = self._last_input_at
            if self._first_token_at is None:
                self._first_token_at = self._last_input_at
        if not self._wake.is_set():
            self._wake.set()

    async def consume(self, deltas: AsyncIterator[str | ModelSignal], *, batched: bool = False) -> None:
        """Append the text `deltas` yields. An interruption, or the model staying silent for
        `settings.model_idle_timeout`, stops it early and closes `deltas` (so the model stops).

        A `ModelSignal` is a sign of life, not text: it keeps the model from counting as silent,
        and while no text is visible `REASONING` shows that the model reasons. An `AnswerCutOff`
        ends the answer with the text and a note saying why.

        `batched`: `deltas` keeps receiving while it is not read (a network stream, see
        `ChatModel.streams_ahead`), so it is read only shortly before each update may go out,
        all that arrived meanwhile in one step, instead of once per token.
        """
        self._pump = asyncio.create_task(self._pump_deltas(deltas, batched))
        if self._stop_reason is not None:
            self._pump.cancel()
        try:
            await asyncio.wait({self._pump})
        finally:
            self._pump.cancel()  # Only does something if our own caller was cancelled.
        if not self._pump.cancelled():
            self._pump.result()  # Raises what the model raised.

    def interrupt(self, reason: StopReason) -> None:
        """Stop the answer early: the model request is closed and the final message says why."""
        if self._ending or self._stop_reason is not None:
            return
        self._stop_reason = reason
        if self._pump is not None:
            self._pump.cancel()
        self._wake.set()

    async def __aenter__(self) -> Self:
        self._started_at = self._loop.time()
        if self._observer is not None:
            self._observer.answer_started()
        slot: AnswerSlot | None = self._context.turn_state.get(ANSWER_SLOT_KEY)
        if slot is not None:
            self._pacer = slot.shared_pacer(self._pacer)
            slot.attach(self)
        if self._streaming:
            self._wake.set()  # The informative update opens the stream right away.
            self._worker = asyncio.create_task(self._send_updates())
        elif self._plan.typing:
            self._worker = asyncio.create_task(self._show_typing())
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
        self._wake.set()
        if self._watchdog is not None:
            self._watchdog.cancel()
        try:
            await self._stop_worker()
            await self._withhold_what_the_filter_blocks()
            if note is None and self._stop_reason is not None:
                note = STOP_NOTES.get(self._stop_reason)
            elif note is None and self._cut_off is not None:
                note = CUT_OFF_NOTES.get(self._cut_off, CUT_OFF_NOTE)
            if self._stop_reason is StopReason.STOPPED_BY_USER:
                # The channel refuses anything more on this stream; the user chose to see no more.
                self._final_text = self._text[: self._shown_end]
            else:
                self._final_text = self._join(self._text, note) or EMPTY_ANSWER_TEXT
                await self._deliver_rest(note)
        finally:
            self._report_end()  # Also when delivery failed unexpectedly: active answers must fall.

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
        return AnswerReport(
            outcome=self.outcome,
            delivery=self._plan.reason,
            characters=len(self._text),
            started_at=self._started_at,
            first_token_at=self._first_token_at,
            first_text_at=self._first_text_at,
            ended_at=self._loop.time(),
            updates=self.updates_sent,
            rate_limited=self.rate_limited,
            retries=self.retries,
            update_lags=self._update_lags,
            failure=self._failure
            or (self._stop_reason if self._stop_reason is StopReason.MODEL_SILENT else None)
            or self._cut_off,
        )

    # ---- feeding ---------------------------------------------------------------------------

    async def _pump_deltas(self, deltas: AsyncIterator[str | ModelSignal], batched: bool) -> None:
        self._last_input_at = self._loop.time()
        self._watchdog = self._loop.call_at(
            self._last_input_at + self._settings.model_idle_timeout, self._check_model_silence
        )
        try:
            async for delta in deltas:
                if isinstance(delta, str):
                    self.append(delta)
                else:
                    self._model_working(delta)
                if batched and self._streaming:
                    await self._let_text_gather()
        except AnswerCutOff as cut_off:
            logger.info("the model cut the answer off (%s)", cut_off.finish_reason)
            self._cut_off = cut_off.finish_reason
        finally:
            self._watchdog.cancel()
            close = getattr(deltas, "aclose", None)
            if close is not None:
                await close()

    def _model_working(self, signal: ModelSignal) -> None:
        """The model sent something other than text: it is not silent, and it may be reasoning.

        While no answer text has come, reasoning shows as an informative "Reasoning…" line; the
        keep-alive updates then carry the seconds it has taken so far (they go out when nothing
        else has for a while, so the line changes at the stream's quietest pace).
        """
        self._last_input_at = self._loop.time()
        if signal is not ModelSignal.REASONING or self._text or not self._streaming:
            return
        if self._reasoning_since is None:
            self._reasoning_since = self._last_input_at
            self.queue_informative(REASONING_TEXT)
        elif self._shown_end == 0 and (seconds := int(self._last_input_at - self._reasoning_since)):
            self._status = f"{REASONING_TEXT} ({seconds} s)"

    async def _let_text_gather(self) -> None:
        """Until just before the next update may go out, leave the model's text in the buffer.

        Text read earlier would wait for that update anyway; the update still carries everything
        that arrived before it, and the end of the answer is seen in time for the final message,
        which waits for the same moment.
        """
        now = self._loop.time()
        wait = min(self._pacer.next_send_at - GATHER_LEAD - now, GATHER_MAX)
        if wait > 0:
            await asyncio.sleep(wait)

    def _check_model_silence(self) -> None:
        deadline = self._last_input_at + self._settings.model_idle_timeout
        if self._loop.time() >= deadline:
            logger.warning(
                "model sent nothing for %.1fs; ending the answer", self._settings.model_idle_timeout
            )
            self.interrupt(StopReason.MODEL_SILENT)
        else:
            self._watchdog = self._loop.call_at(deadline, self._check_model_silence)

    # ---- streaming updates -----------------------------------------------------------------

    async def _send_updates(self) -> None:
        """The one sender of this answer's streams: sends the latest state whenever the pace allows."""
        while True:
            keepalive = await self._wait_for_news()
            await self._wait_for_pace()
            self._wake.clear()
            if self._ending:
                return
            if self._pump is not None and self._pump.done() and await self._ending_soon():
                return
            try:
                if await self._start_new_piece_if_over_budget():
                    self._wake.set()  # The next piece opens once the pace allows.
                    continue
            except SendError:
                logger.warning("could not finish an over-long stream; the rest will come as a message")
                self._streaming = False
                break
            update = self._next_update(keepalive)
            if update is not None and not await self._send_update(*update):
                break
        if not self._streaming and self._plan.typing and not self._ending:
            await self._show_typing()  # Streaming was refused: typing until the answer is sent.

    async def _ending_soon(self) -> bool:
        """The model has finished: wait a moment for `end()`, whose final message carries the text.

        An update now would hold the final message back by a whole pacing interval. A caller that
        goes on without ending (more work, another `consume`) gets its update after the moment.
        """
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(FINISH_GRACE):
                await self._wake.wait()
        return self._ending

    async def _wait_for_news(self) -> bool:
        """Wait for new text; True if the keep-alive time passed first.

        While the model is silent, re-sending the current state keeps the stream alive and finds
        out promptly (from the channel's refusal) that the user pressed Stop.
        """
        if self._wake.is_set():
            return False
        try:
            async with asyncio.timeout(self._settings.keepalive_interval):
                await self._wake.wait()
        except TimeoutError:
            return True
        return False

    def _next_update(self, keepalive: bool) -> tuple[StreamType, str, int] | None:
        """(stream type, text, end of that text in the answer) of the update to send, or None."""
        readable_end = self._readable_end()
        if readable_end > self._shown_end:
            return "streaming", self._piece_text(readable_end), readable_end
        if self._shown_end == self._piece_start:
            if self._status_pending or keepalive:
                return "informative", self._status, self._shown_end
            return None
        if keepalive:
            return "streaming", self._piece_text(self._shown_end), self._shown_end
        return None

    def _readable_end(self) -> int:
        """How far the answer can be shown in the current piece without rendering wrongly."""
        readable = readable_prefix(self._piece_text(len(self._text)))
        readable_end = self._piece_start + max(len(readable) - len(self._piece_lead), 0)
        if self._filter is not None:
            readable_end = min(readable_end, self._allowed_end())
        return readable_end

    def _piece_text(self, end: int) -> str:
        """What the current piece shows of the answer up to `end`."""
        return self._piece_lead + self._text[self._piece_start : end]

    async def _send_update(self, stream_type: StreamType, text: str, end: int) -> bool:
        """Send one update; False when this answer can stream no more."""
        activity = self._stream_activity(ActivityTypes.typing, stream_type, text, self._sequence + 1)
        started = self._loop.time()
        # Due when the pace allowed it and there was new text; keep-alives are never late.
        due = max(self._pacer.next_send_at, self._unsent_since or started) if end > self._shown_end else None
        try:
            response = await self._send(activity)
        except Exception as exc:
            return self._update_failed(exc)
        now = self._loop.time()
        if self._stream_id is None:
            if not (response and response.id):
                logger.warning("the channel gave the stream no id; the answer will come as a message")
                self._streaming = False
                return False
            self._stream_id = response.id
            self._stream_opened_at = now
        self._sequence += 1
        self._update_failures = 0
        if stream_type == "informative":
            self._status_pending = False
        elif due is not None:
            self._update_lags.append(started - due)
            self._unsent_since = None if end == len(self._text) else started
            self._first_text_at = self._first_text_at or now
        self._shown_end = end
        self._pacer.sent(now)
        self.updates_sent += 1
        return True

    def _update_failed(self, exc: Exception) -> bool:
        """Decide what a failed update means; False when this answer can stream no more."""
        error = classify(exc)
        if error is None:
            logger.error("stream update failed unexpectedly; the answer will come as a message", exc_info=exc)
            self._streaming = False
            return False
        now = self._loop.time()
        if error.failure in RETRYABLE:
            self.retries += 1
        if error.failure is SendFailure.RATE_LIMITED:
            self.rate_limited += 1
            self._pacer.rate_limited(now, error.retry_after)
            logger.info("channel asked the stream to slow down; next update in %.1fs", self._pacer.current)
        elif error.failure is SendFailure.TRANSIENT:
            self._update_failures += 1
            if self._update_failures > self._settings.max_update_failures:
                # No more updates; the final carries the whole text (as a message if it fails too).
                logger.warning("stream updates keep failing (%s); waiting for the final", error)
                self._streaming = self._stream_id is not None
                return False
            self._pacer.backed_off(now, self._update_failures)
        elif error.failure is SendFailure.STOPPED_BY_USER:
            self._user_stopped()
            return False
        elif error.failure in (SendFailure.STREAM_TIME_LIMIT, SendFailure.TOO_LARGE) and self._stream_id:
            # The channel closed this stream; what it accepted stays, the rest goes on in a new one.
            logger.warning("channel ended the stream (%s); continuing in a new one", error)
            self._pacer.sent(now)  # A refused request still counts against the channel's rate.
            self._open_next_piece(self._shown_end)
        else:
            logger.warning("channel refused streaming (%s); the answer will come as a message", error)
            self._streaming = False
            return False
        self._wake.set()  # Try again with the latest text once the pace allows.
        return True

    async def _start_new_piece_if_over_budget(self) -> bool:
        """Finish the current stream before the channel's size or time limit; True if it did.

        A stream is finished while there is still time for its final message: at the last send
        slot before `max_stream_seconds`. Text beyond the size budget goes on in new pieces. A
        stream with no text for it yet (a model reasoning for minutes) has nothing to finish it
        with: the channel ends it, and its refusal opens the next one (see `_update_failed`).
        """
        age = self._loop.time() - self._stream_opened_at
        over_time = (
            bool(self._stream_id)
            and self._showable_end() > self._piece_start
            and age + self._pacer.current >= self._settings.max_stream_seconds
        )
        if over_time:
            # Where the text renders as it will: no code block or bold is cut in two, if it can be.
            readable_end = max(self._readable_end(), self._shown_end)
            await self._finish_piece(readable_end if readable_end > self._piece_start else None)
            return True
        over_size = utf16_length(self._piece_text(self._showable_end())) > self._settings.max_message_utf16
        if over_size:
            await self._finish_piece()
        return over_size

    def _showable_end(self) -> int:
        return self._allowed_end() if self._filter is not None else len(self._text)

    async def _finish_piece(self, end: int | None = None) -> None:
        """Deliver the current piece up to `end` (all that may be shown, by default), as long as the
        size budget allows, and open the next one."""
        text = self._text[self._piece_start : self._showable_end() if end is None else end]
        seen = self._shown_end - self._piece_start
        piece = split_piece(self._piece_lead, text, seen, self._settings.max_message_utf16)
        await self._deliver_piece(self._piece_text(self._piece_start + piece.end) + piece.closing)
        self._open_next_piece(self._piece_start + piece.end)

    def _open_next_piece(self, start: int) -> None:
        """Go on at `start` in a new stream or message, reopening the code fence that `start` is in."""
        self._piece_lead = reopening_fence(self._piece_text(start))
        self._piece_start = self._shown_end = start
        self._stream_id = None
        self._sequence = 0
        self._status_pending = False

    async def _wait_for_pace(self) -> None:
        delay = self._pacer.next_send_at - self._loop.time()
        if delay > 0:
            await asyncio.sleep(delay)

    # ---- final messages --------------------------------------------------------------------

    async def _deliver_rest(self, note: str | None) -> None:
        """Send what the user has not got yet: the final of the current stream, then messages."""
        pieces: list[str] = []
        lead, start, seen = self._piece_lead, self._piece_start, self._shown_end
        while True:
            rest = self._text[start:]
            if utf16_length(lead + rest) <= self._settings.max_message_utf16:
                pieces.append(lead + rest if rest else "")
                break
            piece = split_piece(lead, rest, seen - start, self._settings.max_message_utf16)
            pieces.append(lead + rest[: piece.end] + piece.closing)
            lead = reopening_fence(lead + rest[: piece.end])
            start = seen = start + piece.end
        last = self._join(pieces[-1], note)
        if last:
            pieces[-1] = last
        elif self._piece_start and not self._stream_id:
            pieces.pop()  # Earlier messages carried everything; no stream is left open.
        else:
            pieces[-1] = EMPTY_ANSWER_TEXT
        for piece in pieces:
            await self._deliver_piece(piece)
            if self._stop_reason is StopReason.STOPPED_BY_USER:
                return

    async def _deliver_piece(self, text: str) -> None:
        """Finish the open stream with `text`, or send `text` as a message if no stream is open."""
        if self._streaming and self._stream_id:
            final = self._stream_activity(ActivityTypes.message, "final", text, None)
            failure = await self._deliver(final)
            self._stream_id = None  # Finished, or refused for good: either way no more on it.
            if failure is None:
                return
            if failure is SendFailure.STOPPED_BY_USER:
                self._user_stopped()
                return
            logger.warning(
                "final stream message refused (%s); sending the answer as a message", failure.value
            )
            self._streaming = False
        failure = await self._deliver(self._message(text))
        if failure is not None:
            raise SendError(failure, None, "the channel refused the answer")

    async def _deliver(self, activity: Activity) -> SendFailure | None:
        """Send `activity`, retrying what can be retried until the delivery deadline.

        Returns None when delivered, or the failure that retrying did not fix in time.
        """
        deadline = self._loop.time() + self._settings.delivery_deadline
        attempt = 0
        while True:
            await self._wait_for_pace()
            try:
                await self._send(activity)
            except Exception as exc:
                error = classify(exc)
                if error is None:
                    raise
                wait = (
                    error.retry_after
                    if error.retry_after is not None
                    else backoff(attempt, TRANSIENT_BACKOFF)
                )
                if error.failure not in RETRYABLE or self._loop.time() + wait > deadline:
                    logger.warning("could not deliver the answer's final message: %s", error)
                    return error.failure
                if error.failure is SendFailure.RATE_LIMITED:
                    self.rate_limited += 1
                self.retries += 1
                logger.info("final message failed (%s); retrying in %.1fs", error, wait)
                await asyncio.sleep(wait)
                attempt += 1
            else:
                now = self._loop.time()
                self._pacer.sent(now)
                self._first_text_at = self._first_text_at or now
                return None

    # ---- helpers ---------------------------------------------------------------------------

    def _allowed_end(self) -> int:
        """How far the text may be shown; blocked content stops the answer (and the model)."""
        assert self._filter is not None
        blocked = self._filter.first_blocked(self._text)
        if blocked is None:
            return len(self._text)
        if self._stop_reason is None:
            logger.info("the content filter blocked part of the answer")
            self.interrupt(StopReason.CONTENT_FILTERED)
        # What was shown already cannot be taken back.
        return max(len(self._text[:blocked].rstrip()), self._shown_end)

    async def _withhold_what_the_filter_blocks(self) -> None:
        """Cut the answer before content the filter blocks, or back to what was shown if the
        whole answer is flagged; the final message then says so."""
        if self._filter is None or self._stop_reason is StopReason.STOPPED_BY_USER:
            return
        allowed = self._allowed_end()
        if allowed == len(self._text) and self._text and await self._filter.answer_flagged(self._text):
            logger.info("the content filter flagged the answer")
            allowed = self._shown_end
            self._stop_reason = self._stop_reason or StopReason.CONTENT_FILTERED
        if allowed < len(self._text):
            self._stop_reason = self._stop_reason or StopReason.CONTENT_FILTERED
            self._text = self._text[:allowed]

    def _user_stopped(self) -> None:
        """The user pressed Stop: stop the model, and send nothing more on this stream."""
        logger.info("the user stopped the answer")
        if self._stop_reason is None:
            self._stop_reason = StopReason.STOPPED_BY_USER
        if self._pump is not None:
            self._pump.cancel()

    async def _stop_worker(self) -> None:
        worker = self._worker
        if worker is None:
            return
        if not self._streaming:
            worker.cancel()  # Typing has no in-flight state worth keeping.
        await asyncio.gather(worker, return_exceptions=True)

    async def _show_typing(self) -> None:
        """Keep the typing indicator alive until the answer is sent.

        Not the SDK's ShowTypingMiddleware: it runs until the turn ends (so it overlaps the
        answer and any stream) and never stops if the turn raises.
        """
        while True:
            try:
                await self._send(Activity(type=ActivityTypes.typing))
            except Exception:
                logger.warning("typing indicator failed", exc_info=True)
                return
            await asyncio.sleep(self._plan.typing_interval)

    def _stream_activity(
        self, activity_type: str, stream_type: StreamType, text: str, sequence: int | None
    ) -> Activity:
        activity = Activity(type=activity_type, text=text)
        if activity_type == ActivityTypes.message:
            activity.text_format = TextFormatTypes.markdown
        return stamp_stream_info(activity, stream_type, self._stream_id, sequence)

    @staticmethod
    def _join(text: str, note: str | None) -> str:
        """`text` and then `note`, outside any code fence that `text` was cut off in."""
        if not note:
            return text
        return f"{text}{closing_fence(text)}\n\n{note}" if text else note

    @staticmethod
    def _message(text: str) -> Activity:
        return Activity(type=ActivityTypes.message, text=text, text_format=TextFormatTypes.markdown)

    async def _send(self, activity: Activity) -> ResourceResponse | None:
        return await self._context.send_activity(activity)
