"""Answers at once that the model is unavailable after repeated failures, instead of waiting on it.

Each process keeps its own breaker, also when several instances share Redis: nothing of it is shared,
by choice. What the breaker counts is the failures of this instance's path to the model (its network,
DNS, proxy, credentials and connections) as much as of the model service, and the two cannot be told
apart from here. Shared, one instance set up or connected wrongly (a bad key in a rolling deploy, a
host that lost its route) would open every instance's breaker and make every instance unready, so a
fault that one instance has would stop the whole bot; kept apart, that instance alone refuses and
reports unready, and the load balancer sends its traffic to the others. The price is small: when the
model service itself is down, each instance lets `failure_threshold` answers fail before it opens, and
each probes the model once per cool-down, instead of once in all. Keeping it in memory also keeps
Redis off every model request's path.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence

from .chat_model import (
    AnswerCutOff,
    ChatModel,
    ModelError,
    ModelSignal,
    PromptMessage,
    ToolCall,
    ToolChoice,
    ToolSpec,
)

logger = logging.getLogger(__name__)


class ModelUnavailableError(ModelError):
    """The circuit is open: the model failed repeatedly and is given time to recover."""


class CircuitBreakerModel:
    """Wraps a `ChatModel`: after `failure_threshold` failures in a row, requests fail at once for
    `cooldown` seconds; then one request is let through, and its success closes the circuit.

    An answer the model cut off itself (`AnswerCutOff`) counts as a success: the service answered.
    """

    def __init__(
        self,
        model: ChatModel,
        *,
        failure_threshold: int,
        cooldown: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._model = model
        self._failure_threshold = failure_threshold
        self._cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self.description = model.description
        self.streams_ahead: bool = getattr(model, "streams_ahead", False)

    @property
    def is_open(self) -> bool:
        """True while requests are refused without calling the model."""
        return self._opened_at is not None and self._clock() - self._opened_at < self._cooldown

    async def stream_chat(
        self,
        messages: Sequence[PromptMessage],
        *,
        temperature: float | None = None,
        tools: Sequence[ToolSpec] = (),
        tool_choice: ToolChoice = "auto",
    ) -> AsyncIterator[str | ModelSignal | ToolCall]:
        if self.is_open:
            raise ModelUnavailableError("the model service is unavailable right now")
        try:
            # Without tools, the wrapped model is asked as a model that knows nothing of them.
            deltas = (
                self._model.stream_chat(
                    messages, temperature=temperature, tools=tools, tool_choice=tool_choice
                )
                if tools
                else self._model.stream_chat(messages, temperature=temperature)
            )
            async for delta in deltas:
                yield delta
        except AnswerCutOff:
            self._record_success()
            raise
        except ModelError:
            self._record_failure()
            raise
        self._record_success()

    def _record_success(self) -> None:
        self._failures = 0
        if self._opened_at is not None:
            logger.info("model answered again; circuit closed")
            self._opened_at = None

    def _record_failure(self) -> None:
        self._failures += 1
        if self._failures >= self._failure_threshold:
            if not self.is_open:
                logger.warning(
                    "model failed %d times in a row; circuit open for %.0fs", self._failures, self._cooldown
                )
            self._opened_at = self._clock()

    async def check_ready(self, within: float) -> str:
        """Not ready while the circuit is open; otherwise whatever the wrapped model says."""
        if self.is_open:
            raise ModelUnavailableError("the model failed repeatedly; the bot is giving it time to recover")
        check = getattr(self._model, "check_ready", None)
        return await check(within) if check else "not checked"

    async def close(self) -> None:
        await self._model.close()
