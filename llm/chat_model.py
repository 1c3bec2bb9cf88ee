"""The one interface the dialogs use to talk to a language model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Literal, Protocol, TypedDict


class ChatMessage(TypedDict):
    """One message of a chat completion request, in the OpenAI wire shape."""

    role: Literal["system", "user", "assistant"]
    content: str


class FunctionCall(TypedDict):
    """The function a tool call names, and its arguments as the model wrote them (JSON text)."""

    name: str
    arguments: str


class WireToolCall(TypedDict):
    """One tool call in an assistant message, in the OpenAI wire shape."""

    id: str
    type: Literal["function"]
    function: FunctionCall


class ToolCallMessage(TypedDict):
    """The model's turn that asked for tool calls, sent back with their results in the next round."""

    role: Literal["assistant"]
    content: str | None
    tool_calls: list[WireToolCall]


class ToolResultMessage(TypedDict):
    """A tool's result, for the model to read: data, in a message of its own."""

    role: Literal["tool"]
    tool_call_id: str
    content: str


PromptMessage = ChatMessage | ToolCallMessage | ToolResultMessage
"""Any message of a request: the conversation's, and the tool rounds' of the answer being written."""

ToolChoice = Literal["auto", "none"]
"""`auto`: the model may call the tools offered; `none`: it must answer in text (the last round)."""


class ToolSpec(Protocol):
    """What the model is told about a tool it may call (answers.tools.Tool has these and more)."""

    name: str
    description: str
    parameters: dict[str, object]  # JSON schema of the arguments


@dataclass(frozen=True)
class ToolCall:
    """A tool call the model made, complete: its id, the tool's name, the arguments' JSON text."""

    id: str
    name: str
    arguments: str

    def wire(self) -> WireToolCall:
        """The call as an assistant message carries it back to the model."""
        function: FunctionCall = {"name": self.name, "arguments": self.arguments}
        return {"id": self.id, "type": "function", "function": function}


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

    Given `tools`, the model may call them: the stream then also yields each complete `ToolCall`,
    after the round's text, once the model has finished (a stream that breaks or is cut off while
    a call is written raises instead). Without tools the request offers none and nothing of the
    kind is parsed.

    A model whose stream keeps arriving while nobody reads it (an HTTP response, which the
    connection buffers) may set `streams_ahead = True`: the answer then reads it in batches, just
    before each update may go out, which saves a wake-up per token. A lazy generator must not:
    it would produce nothing between reads. A wrapper should pass the attribute on.
    """

    description: str
    """Which model this is, for logs and the start-up banner."""

    def stream_chat(
        self,
        messages: Sequence[PromptMessage],
        *,
        temperature: float | None = None,
        tools: Sequence[ToolSpec] = (),
        tool_choice: ToolChoice = "auto",
    ) -> AsyncIterator[str | ModelSignal | ToolCall]:
        """Yield the answer to `messages` piece by piece; raise `ModelError` when the model fails,
        `AnswerCutOff` when it ended the answer early."""
        ...

    async def close(self) -> None:
        """Release connections; called once when the bot shuts down."""
        ...
