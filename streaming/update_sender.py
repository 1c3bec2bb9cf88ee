"""The answer's one background sender: stream updates at the channel's pace, or typing.

Streaming sends go out one at a time, at most once per interval counted from the end of the
previous send; text that arrives in between is coalesced into the next update, which carries the
whole text so far. While the model is silent the stream's state is re-sent now and then, so that
the stream stays alive and a Stop is noticed from the channel's refusal.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from .answer_text import AnswerText
from .channel import Outgoing, StreamType
from .channel_stream import ChannelStream, DeliveryTally
from .clock import Clock
from .content_filter import OutgoingFilter
from .delivery import DeliveryPlan, StreamingSettings
from .early_sign import ShownSign
from .final_delivery import FinalDelivery
from .markdown import utf16_length
from .notes import INFORMATIVE_TEXT_LIMIT
from .pacing import Pacer
from .send_errors import RETRYABLE, SendError, SendFailure

logger = logging.getLogger(__name__)

FINISH_GRACE = 0.1  # how long an update waits for the final message once the model has finished


class UpdateSender:
    """Sends the latest state of the answer whenever the pace allows, until `finish`."""

    def __init__(
        self,
        answer: AnswerText,
        stream: ChannelStream,
        final: FinalDelivery,
        outgoing_filter: OutgoingFilter,
        pacer: Pacer,
        clock: Clock,
        plan: DeliveryPlan,
        settings: StreamingSettings,
        tally: DeliveryTally,
        *,
        informative_text: str,
        model_finished: Callable[[], bool],
        on_user_stopped: Callable[[], None],
    ) -> None:
        self._answer = answer
        self._stream = stream
        self._final = final
        self._filter = outgoing_filter
        self._pacer = pacer
        self._clock = clock
        self._plan = plan
        self._settings = settings
        self._tally = tally
        self._model_finished = model_finished
        self._on_user_stopped = on_user_stopped
        self._status = informative_text[:INFORMATIVE_TEXT_LIMIT]
        self._status_pending = stream.streaming
        self._update_failures = 0
        self._wake = asyncio.Event()
        self._ending = False
        self._worker: asyncio.Task[None] | None = None

    def start(self, sign: ShownSign | None = None) -> None:
        """Open the stream right away with the informative line, or start showing typing; with the
        `sign` the user's turn showed, go on from it instead."""
        if self._stream.streaming:
            if sign is not None and sign.stream_id is not None:
                self._status_pending = False  # "Thinking…" is on the stream the answer adopted.
            else:
                self._wake.set()
            self._worker = asyncio.create_task(self._send_updates())
        elif self._plan.typing:
            shown_at = sign.sent_at if sign is not None else None
            self._worker = asyncio.create_task(self._show_typing(shown_at))

    def news(self) -> None:
        """Something changed (text arrived, the answer was stopped): send it when the pace allows."""
        if not self._wake.is_set():
            self._wake.set()

    def next_send_at(self) -> float | None:
        """When the next update's text is taken (its progress is recorded that long before it may go
        out); None while the answer does not stream."""
        return self._pacer.next_send_at - self._stream.record_lead if self._stream.streaming else None

    def queue_informative(self, text: str) -> None:
        """Show a status line (such as "Searching…") as soon as the pace allows, until text starts."""
        if self._stream.streaming and self._answer.shown_end == 0 and text:
            self._status = text[:INFORMATIVE_TEXT_LIMIT]
            self._status_pending = True
            self._wake.set()

    def refresh_informative(self, text: str) -> None:
        """Change the status line; it shows with the next keep-alive, if no text has come by then."""
        if self._answer.shown_end == 0 and text:
            self._status = text[:INFORMATIVE_TEXT_LIMIT]

    async def finish(self) -> None:
        """Stop sending: the update in flight completes (its state matters to the final), typing stops."""
        self._ending = True
        self._wake.set()
        worker = self._worker
        if worker is None:
            return
        if not self._stream.streaming:
            worker.cancel()  # Typing has no in-flight state worth keeping.
        await asyncio.gather(worker, return_exceptions=True)

    async def _send_updates(self) -> None:
        lead = self._stream.record_lead
        while True:
            keepalive = not await self._clock.wait(self._wake, self._settings.keepalive_interval)
            await self._clock.sleep(self._pacer.next_send_at - lead - self._clock.now())
            self._wake.clear()
            if self._ending:
                return
            if self._model_finished() and await self._ending_soon():
                return
            try:
                if await self._start_new_piece_if_over_budget():
                    self._wake.set()  # The next piece opens once the pace allows.
                    continue
            except SendError:
                logger.warning("could not finish an over-long stream; the rest will come as a message")
                self._stream.streaming = False
                break
            update = self._next_update(keepalive)
            if update is not None and lead:
                # Its progress recorded ahead, the update goes out when due (the final, if the
                # answer ends meanwhile: it shows all of this and more).
                stream_type, text, end = update
                await self._stream.will_show(stream_type, text, self._answer.text[:end])
                await self._clock.sleep(self._pacer.next_send_at - self._clock.now())
                if self._ending:
                    return
            if update is not None and not await self._send_update(*update):
                break
        if not self._stream.streaming and self._plan.typing and not self._ending:
            await self._show_typing()  # Streaming was refused: typing until the answer is sent.

    async def _ending_soon(self) -> bool:
        """The model has finished: wait a moment for the final message, which carries the text.

        An update now would hold the final message back by a whole pacing interval. A caller that
        goes on without ending (more work, another `consume`) gets its update after the moment.
        """
        await self._clock.wait(self._wake, FINISH_GRACE)
        return self._ending

    def _next_update(self, keepalive: bool) -> tuple[StreamType, str, int] | None:
        """(stream type, text, end of that text in the answer) of the update to send, or None."""
        answer = self._answer
        readable_end = answer.readable_end(self._filter.allowed_end(answer))
        if readable_end > answer.shown_end:
            return "streaming", answer.piece_text(readable_end), readable_end
        if answer.shown_end == answer.piece_start:
            if self._status_pending or keepalive:
                return "informative", self._status, answer.shown_end
            return None
        if keepalive:
            return "streaming", answer.piece_text(answer.shown_end), answer.shown_end
        return None

    async def _send_update(self, stream_type: StreamType, text: str, end: int) -> bool:
        """Send one update; False when this answer can stream no more."""
        answer = self._answer
        started = self._clock.now()
        # Due when the pace allowed it and there was new text; keep-alives are never late.
        due = (
            max(self._pacer.next_send_at, answer.unsent_since or started) if end > answer.shown_end else None
        )
        try:
            opened = await self._stream.send_update(stream_type, text, answer.text[:end])
        except SendError as error:
            return self._update_failed(error)
        except Exception:
            logger.exception("stream update failed unexpectedly; the answer will come as a message")
            self._stream.streaming = False
            return False
        if not opened:
            logger.warning("the channel gave the stream no id; the answer will come as a message")
            self._stream.streaming = False
            return False
        now = self._stream.sent_at
        self._update_failures = 0
        if stream_type == "informative":
            self._status_pending = False
        elif due is not None:
            self._tally.update_lags.append(started - due)
            answer.shown(end, started)
            self._tally.text_shown(now)
        self._pacer.sent(now)
        self._tally.updates += 1
        return True

    def _update_failed(self, error: SendError) -> bool:
        """Decide what a failed update means; False when this answer can stream no more."""
        now = self._clock.now()
        if error.failure in RETRYABLE:
            self._tally.retries += 1
        if error.failure is SendFailure.RATE_LIMITED:
            self._tally.rate_limited += 1
            self._pacer.rate_limited(now, error.retry_after)
            logger.info("channel asked the stream to slow down; next update in %.1fs", self._pacer.current)
        elif error.failure is SendFailure.TRANSIENT:
            self._update_failures += 1
            if self._update_failures > self._settings.max_update_failures:
                # No more updates; the final carries the whole text (as a message if it fails too).
                logger.warning("stream updates keep failing (%s); waiting for the final", error)
                self._stream.streaming = self._stream.stream_id is not None
                return False
            self._pacer.backed_off(now, self._update_failures)
        elif error.failure is SendFailure.STOPPED_BY_USER:
            self._on_user_stopped()
            return False
        elif (
            error.failure in (SendFailure.STREAM_TIME_LIMIT, SendFailure.TOO_LARGE) and self._stream.stream_id
        ):
            # The channel closed this stream; what it accepted stays, the rest goes on in a new one.
            logger.warning("channel ended the stream (%s); continuing in a new one", error)
            self._pacer.sent(now)  # A refused request still counts against the channel's rate.
            self._stream.close()
            self._answer.open_piece(self._answer.shown_end)
            self._status_pending = False
        else:
            logger.warning("channel refused streaming (%s); the answer will come as a message", error)
            self._stream.streaming = False
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
        answer = self._answer
        showable_end = self._filter.allowed_end(answer)
        over_time = (
            self._stream.stream_id is not None
            and showable_end > answer.piece_start
            and self._stream.age() + self._pacer.current >= self._settings.max_stream_seconds
        )
        if over_time:
            # Where the text renders as it will: no code block or bold is cut in two, if it can be.
            readable_end = max(answer.readable_end(showable_end), answer.shown_end)
            await self._final.finish_piece(
                readable_end if readable_end > answer.piece_start else showable_end
            )
        elif utf16_length(answer.piece_text(showable_end)) > self._settings.max_message_utf16:
            await self._final.finish_piece(showable_end)
        else:
            return False
        self._status_pending = False
        return True

    async def _show_typing(self, shown_at: float | None = None) -> None:
        """Keep the typing indicator alive until the answer is sent (from `shown_at`, when the first
        sign showed it already).

        Not the SDK's ShowTypingMiddleware: it runs until the turn ends (so it overlaps the
        answer and any stream) and never stops if the turn raises.
        """
        if shown_at is not None:
            await self._clock.sleep(shown_at + self._plan.typing_interval - self._clock.now())
        while True:
            try:
                await self._stream.send(Outgoing("typing"))
            except Exception:
                logger.warning("typing indicator failed", exc_info=True)
                return
            await self._clock.sleep(self._plan.typing_interval)
