"""One answer's way to the user: the dialog feeds text, the stream decides what to send and when.

On a streaming channel the user sees an informative "Thinking…" line, then the answer growing in
one bubble, then the final message. Elsewhere the user sees typing, then the whole answer at once.
Either way the answer ends with exactly one final message, also when the code feeding it fails.
"""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType
from typing import Self

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes, ResourceResponse, TextFormatTypes

from llm import ModelError

from .delivery import DeliveryPlan
from .entities import StreamType, stamp_stream_info

logger = logging.getLogger(__name__)

DEFAULT_INFORMATIVE_TEXT = "Thinking…"
INFORMATIVE_TEXT_LIMIT = 1000  # Teams rejects longer informative updates.
EMPTY_ANSWER_TEXT = "_(The model returned an empty answer.)_"
GENERIC_FAILURE_NOTE = "_(Something went wrong while answering. Please try again.)_"
INTERRUPTED_NOTE = "_(The answer was interrupted.)_"


def failure_note(error: BaseException) -> str:
    """A short note for the user about why the answer ended early; never a trace."""
    if isinstance(error, ModelError):
        return f"_(The answer ended early: {error}. Please try again.)_"
    if isinstance(error, asyncio.CancelledError):
        return INTERRUPTED_NOTE
    return GENERIC_FAILURE_NOTE


class AnswerStream:
    """Delivers one answer according to its `DeliveryPlan`; use it as `async with`.

    Streaming sends go out one at a time from a single worker task, at most once per
    `plan.interval` seconds counted from the end of the previous send; text that arrives in
    between is coalesced into the next update, which carries the whole text so far.
    """

    def __init__(
        self,
        context: TurnContext,
        plan: DeliveryPlan,
        *,
        informative_text: str = DEFAULT_INFORMATIVE_TEXT,
    ) -> None:
        self._context = context
        self._plan = plan
        self._text = ""
        self._sent_text = ""
        self._informative = informative_text[:INFORMATIVE_TEXT_LIMIT]
        self._stream_id: str | None = None
        self._sequence = 0
        self._next_send_at = 0.0
        self._wake = asyncio.Event()
        self._ending = False
        self._streaming_failed = False
        self._worker: asyncio.Task[None] | None = None
        self._final_text: str | None = None

    @property
    def text(self) -> str:
        """The answer text received so far."""
        return self._text

    @property
    def final_text(self) -> str | None:
        """The text of the final message, once the stream has ended."""
        return self._final_text

    @property
    def stream_id(self) -> str | None:
        """The channel's id of this stream (the id of its first activity), once it has started."""
        return self._stream_id

    def queue_informative(self, text: str) -> None:
        """Show a status line (such as "Searching…") until the answer text starts."""
        if self._plan.stream and not self._sent_text and text:
            self._informative = text[:INFORMATIVE_TEXT_LIMIT]
            self._wake.set()

    def append(self, delta: str) -> None:
        """Add the next piece of the answer."""
        self._text += delta
        if not self._wake.is_set():
            self._wake.set()

    async def __aenter__(self) -> Self:
        if self._plan.stream:
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
        await self.end(failure_note(exc))
        # The user has their answer and a note, so an error is handled here; cancellation is not.
        return isinstance(exc, Exception)

    async def end(self, note: str | None = None) -> None:
        """Send the final message: the whole text, plus `note` if given. Idempotent."""
        if self._final_text is not None:
            return
        self._ending = True
        self._wake.set()
        await self._stop_worker()
        if note:
            final_text = f"{self._text}\n\n{note}" if self._text else note
        else:
            final_text = self._text or EMPTY_ANSWER_TEXT
        self._final_text = final_text
        if self._stream_id and not self._streaming_failed:
            await self._wait_for_pace()
            try:
                await self._send(self._stream_activity(ActivityTypes.message, "final", final_text))
                return
            except Exception:
                logger.warning("final stream message failed; sending the answer as a message", exc_info=True)
        await self._send(self._message(final_text))

    async def _stop_worker(self) -> None:
        worker = self._worker
        if worker is None:
            return
        if not self._plan.stream:
            worker.cancel()  # Typing has no in-flight state worth keeping.
        await asyncio.gather(worker, return_exceptions=True)

    async def _send_updates(self) -> None:
        """The one sender of this stream: sends the latest state whenever the pace allows."""
        while True:
            await self._wake.wait()
            await self._wait_for_pace()
            self._wake.clear()
            if self._ending:
                return
            activity = self._next_update()
            if activity is None:
                continue
            try:
                response = await self._send(activity)
            except Exception:
                logger.warning("stream update failed; the answer will come as one message", exc_info=True)
                self._streaming_failed = True
                return
            if self._stream_id is None:
                if not (response and response.id):
                    logger.warning("channel gave the stream no id; the answer will come as one message")
                    self._streaming_failed = True
                    return
                self._stream_id = response.id
            self._next_send_at = asyncio.get_running_loop().time() + self._plan.interval

    def _next_update(self) -> Activity | None:
        """The update that brings the user up to date, or None if they already are."""
        if self._informative and not self._sent_text:
            informative, self._informative = self._informative, ""
            return self._stream_activity(ActivityTypes.typing, "informative", informative)
        if self._text == self._sent_text:
            return None
        self._sent_text = self._text
        return self._stream_activity(ActivityTypes.typing, "streaming", self._sent_text)

    def _stream_activity(self, activity_type: str, stream_type: StreamType, text: str) -> Activity:
        activity = Activity(type=activity_type, text=text)
        if stream_type == "final":
            activity.text_format = TextFormatTypes.markdown
            return stamp_stream_info(activity, stream_type, self._stream_id, None)
        self._sequence += 1
        return stamp_stream_info(activity, stream_type, self._stream_id, self._sequence)

    async def _wait_for_pace(self) -> None:
        delay = self._next_send_at - asyncio.get_running_loop().time()
        if delay > 0:
            await asyncio.sleep(delay)

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
            await asyncio.sleep(self._plan.interval)

    @staticmethod
    def _message(text: str) -> Activity:
        return Activity(type=ActivityTypes.message, text=text, text_format=TextFormatTypes.markdown)

    async def _send(self, activity: Activity) -> ResourceResponse | None:
        return await self._context.send_activity(activity)
