"""Reads the model's stream into the answer's text, and notices when the model goes silent."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

from llm import AnswerCutOff, ModelSignal

from .answer_text import AnswerText
from .clock import Clock

logger = logging.getLogger(__name__)

GATHER_LEAD = 0.01  # how long before an update may go out a batched source is read (seconds)
GATHER_MAX = 1.0  # the longest a batched source is left unread (the watchdog needs reads)


class ModelFeed:
    """Feeds one answer from the model: text into `answer`, signs of life into the idle watchdog.

    `next_update_at` says when the next update may go out (None while the answer does not stream),
    so that a batched source, after text, is read just before it; `on_text` is told when text arrives,
    `on_reasoning(since)`, with when it began, each time the model reasons before any text, and
    `on_silent` when the model sent nothing for `idle_timeout` seconds.
    """

    def __init__(
        self,
        answer: AnswerText,
        clock: Clock,
        *,
        idle_timeout: float,
        next_update_at: Callable[[], float | None],
        on_text: Callable[[], None],
        on_reasoning: Callable[[float], None],
        on_silent: Callable[[], None],
    ) -> None:
        self._answer = answer
        self._clock = clock
        self._idle_timeout = idle_timeout
        self._next_update_at = next_update_at
        self._on_text = on_text
        self._on_reasoning = on_reasoning
        self._on_silent = on_silent
        self._pump: asyncio.Task[None] | None = None
        self._last_input_at = 0.0
        self._reasoning_since: float | None = None
        self._stopped = False
        self.cut_off: str | None = None
        """The model's finish reason, if it cut the answer off (its length limit, its filter)."""

    @property
    def finished(self) -> bool:
        """The model's stream has ended (or was stopped)."""
        return self._pump is not None and self._pump.done()

    def append(self, delta: str) -> None:
        """Add text that did not come from the model's stream (the caller's own)."""
        self._last_input_at = self._clock.now()
        self._answer.append(delta, self._last_input_at)
        self._on_text()

    async def consume(self, deltas: AsyncIterator[str | ModelSignal], *, batched: bool) -> None:
        """Read `deltas` to its end, or until `stop`; raises what the model raised."""
        self._pump = asyncio.create_task(self._read(deltas, batched))
        if self._stopped:
            self._pump.cancel()
        try:
            await asyncio.wait({self._pump})
        finally:
            self._pump.cancel()  # Only does something if our own caller was cancelled.
        if not self._pump.cancelled():
            self._pump.result()

    def stop(self) -> None:
        """Stop reading: the model's stream is closed, so the model stops generating."""
        self._stopped = True
        if self._pump is not None:
            self._pump.cancel()

    async def _read(self, deltas: AsyncIterator[str | ModelSignal], batched: bool) -> None:
        self._last_input_at = self._clock.now()
        watchdog = asyncio.create_task(self._watch_for_silence())
        try:
            async for delta in deltas:
                if isinstance(delta, str):
                    self.append(delta)
                    if batched:
                        await self._let_text_gather()
                else:
                    # Read on at once: a tool round's calls are acted on as soon as they are complete.
                    self._model_working(delta)
        except AnswerCutOff as cut_off:
            logger.info("the model cut the answer off (%s)", cut_off.finish_reason)
            self.cut_off = cut_off.finish_reason
        finally:
            watchdog.cancel()
            close = getattr(deltas, "aclose", None)
            if close is not None:
                await close()

    def _model_working(self, signal: ModelSignal) -> None:
        """The model sent something other than text: it is not silent, and it may be reasoning."""
        self._last_input_at = self._clock.now()
        if signal is ModelSignal.REASONING and not self._answer.text:
            if self._reasoning_since is None:
                self._reasoning_since = self._last_input_at
            self._on_reasoning(self._reasoning_since)

    async def _let_text_gather(self) -> None:
        """Until just before the next update may go out, leave the model's text in the buffer.

        Text read earlier would wait for that update anyway; the update still carries everything
        that arrived before it, and the end of the answer is seen in time for the final message,
        which waits for the same moment.
        """
        next_update_at = self._next_update_at()
        if next_update_at is not None:
            await self._clock.sleep(min(next_update_at - GATHER_LEAD - self._clock.now(), GATHER_MAX))

    async def _watch_for_silence(self) -> None:
        """Tell `on_silent` once the model has sent nothing for the idle timeout."""
        while True:
            deadline = self._last_input_at + self._idle_timeout
            now = self._clock.now()
            if now >= deadline:
                logger.warning("model sent nothing for %.1fs; ending the answer", self._idle_timeout)
                self._on_silent()
                return
            await self._clock.sleep(deadline - now)
