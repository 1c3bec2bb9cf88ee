"""The one interface the dialogs use to talk to a language model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from enum import Enum
from typing import Literal, Protocol, TypedDict


class ChatMessage(TypedDict):
    """One message of a chat completion request, in the OpenAI wire shape."""

    role: Literal["system", "user", "assistant"]
    content: str


class ModelError(Exception):
    """The model could not answer. The message is short and safe to show to a user."""


class AnswerCutOff(ModelError):
    """The model ended the answer early for a reason it gave: raised after all its text was yielded.

    `finish_reason` is the model's: `length` (it reached its token limit) or `content_filter` (the
    provider's filter stopped it). The service worked, so this is not a failure of the service.
    """

    def __init__(self, finish_reason: str) -> None:
        super().__init__(f"the model stopped the answer ({finish_reason})")
        self.finish_reason = finish_reason


class ModelSignal(Enum):
    """What a model's stream yields besides answer text: signs that the model is working."""

    REASONING = "reasoning"
    """The model is reasoning before (or while) it answers; the reasoning itself is never shown."""
    ALIVE = "alive"
    """Something that is not answer text arrived (a keep-alive, an annotation): the model is working."""


class ChatModel(Protocol):
    """Streams a chat completion as text deltas.

    The stream is cancellable: closing the iterator (`aclose()`, leaving an `aclosing` block) or
    cancelling the task that iterates it closes the request to the model, so it stops generating.

    A model may also define `async def check_ready(self, within: float) -> str`, which /readyz calls
    (see host/health.py): a cheap check that its service answers, raising `ModelError` if not. A
    wrapper around a model should pass it on; a model without it is reported as "not checked".

    Besides text, the stream may yield `ModelSignal`s (at most one per network read, and none for
    a read that carried text): the answer counts them as signs of life, not as text.

    A model whose stream keeps arriving while nobody reads it (an HTTP response, which the
    connection buffers) may set `streams_ahead = True`: the answer then reads it in batches, just
    before each update may go out, which saves a wake-up per token. A lazy generator must not:
    it would produce nothing between reads. A wrapper should pass the attribute on.
    """

    description: str
    """Which model this is, for logs and the start-up banner."""

    def stream_chat(
        self, messages: Sequence[ChatMessage], *, temperature: float | None = None
    ) -> AsyncIterator[str | ModelSignal]:
        """Yield the answer to `messages` piece by piece; raise `ModelError` when the model fails,
        `AnswerCutOff` when it ended the answer early."""
        ...

    async def close(self) -> None:
        """Release connections; called once when the bot shuts down."""
        ...
