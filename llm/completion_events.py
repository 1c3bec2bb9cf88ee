"""The server-sent events of a streamed chat completion, read one network read at a time."""

from __future__ import annotations

import orjson

from .chat_model import ModelError
from .think_block import LeadingThinkBlock
from .tool_calls import ToolCallFragments


class CompletionEvents:
    """Reads an OpenAI-compatible chat completion stream: the answer's text, and signs of work.

    Each chunk is one `data:` line of JSON (the space after the colon is optional, lines may end
    in CRLF); comments (`: OPENROUTER PROCESSING`), event names and blank lines carry nothing, and
    `data: [DONE]` ends the stream. The text is in `choices[0].delta.content`; a chunk with a
    `finish_reason` says why the answer ended. Reasoning is never answer text: vLLM and DeepSeek
    send it in `delta.reasoning_content`, Ollama, OpenRouter and newer vLLM in `delta.reasoning`,
    servers without a reasoning parser in a leading `<think>` block of the content. Chunks without
    choices (usage, Azure's prompt filter results) or without a delta (Azure's asynchronous filter
    annotations) carry no text. The text before an end or an error is kept. Given `tool_calls`,
    the fragments of tool calls in `delta.tool_calls` go there; without, they are not looked for.
    """

    def __init__(self, tool_calls: ToolCallFragments | None = None) -> None:
        self.tool_calls = tool_calls
        """Where the tool calls in the stream are put together; None when no tools were offered."""
        self._pending = b""
        self._think: LeadingThinkBlock | None = LeadingThinkBlock()
        self.finish_reason: str | None = None
        """Why the model ended the answer (`stop`, `length`, `content_filter`…), once a chunk said."""
        self.done = False
        """[DONE] came: nothing more will."""
        self.failure: ModelError | None = None
        """The error the stream reported or that reading it found; set once, then reading stops."""
        self.reasoned = False
        """The last `feed` carried reasoning."""

    @property
    def finished(self) -> bool:
        """The stream said why the answer ended, or [DONE] came."""
        return self.done or self.finish_reason is not None

    @property
    def ended(self) -> bool:
        """Nothing more is to be read: [DONE] came, or the stream failed."""
        return self.done or self.failure is not None

    def feed(self, data: bytes) -> str:
        """The answer text in the complete events of what has arrived so far (with `data`)."""
        *lines, self._pending = (self._pending + data).split(b"\n")
        self.reasoned = False
        pieces: list[str] = []
        for line in lines:
            try:
                text = self._event_text(line)
            except ModelError as error:
                self.failure = error
                break
            if self.done:
                break
            if text:
                pieces.append(text)
        return "".join(pieces)

    def rest(self) -> str:
        """Answer text held back at the end of the stream (what looked like the start of a tag)."""
        return self._think.rest() if self._think is not None else ""

    def _event_text(self, line: bytes) -> str:
        if not line.startswith(b"data:"):
            return ""  # a blank separator, a comment (keep-alive) or an event name
        data = line[5:].strip()
        if data == b"[DONE]":
            self.done = True
            return ""
        try:
            chunk = orjson.loads(data)  # A third of the stdlib's time, on every token.
        except orjson.JSONDecodeError as error:
            raise ModelError("the model service sent a malformed stream") from error
        if not isinstance(chunk, dict):
            raise ModelError("the model service sent a malformed stream")
        if chunk.get("error"):
            raise ModelError("the model service reported an error mid-answer")
        choices = chunk.get("choices")
        if not choices:
            if chunk.get("object") == "error":  # early vLLM: the error is the chunk itself
                raise ModelError("the model service reported an error mid-answer")
            return ""
        choice = choices[0]
        finish_reason = choice.get("finish_reason")
        if finish_reason:
            self.finish_reason = finish_reason
        delta = choice.get("delta")
        if not delta:
            return ""
        text = delta.get("content")
        if self.tool_calls is not None and (calls := delta.get("tool_calls")):
            self.tool_calls.add(calls)
        if not text:
            if delta.get("reasoning_content") or delta.get("reasoning"):
                self.reasoned = True
            return ""
        if self._think is None:
            return text
        text = self._think.feed(text)
        self.reasoned = self.reasoned or self._think.reasoned
        if self._think.settled:
            self._think = None  # The answer has begun: its text passes straight through.
        return text
