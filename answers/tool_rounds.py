"""One answer written with tools: the model's rounds of tool calls, run, and their results sent back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import aclosing

from llm import ChatModel, ModelError, ModelSignal, PromptMessage, ToolCall, ToolResultMessage

from .sources import AnswerSources
from .tool_runner import ToolRunner
from .tools import ToolResult

ROUND_BREAK = "\n\n"
"""Between the text of two rounds (the model's "Let me look that up." and its answer)."""


class ToolRounds:
    """Streams an answer whose model may call `runner`'s tools, as one stream of text and signals.

    Each round streams the model's text to the answer as it comes; if the model called tools, they
    run at once, `show_status` tells the user what runs, and the next round sends the model its
    calls and their results (as `tool` messages: data, never the system prompt). After
    `max_rounds` rounds of calls, the last request lets the model call none. While tools run, a
    sign of life every `heartbeat` seconds keeps the answer's idle watchdog quiet (each tool has
    its own time limit). Closing the stream, or cancelling its reader, cancels running tools as it
    closes the model's request: that is how Stop, a new message and shutdown reach them.
    """

    def __init__(
        self,
        model: ChatModel,
        runner: ToolRunner,
        sources: AnswerSources,
        *,
        max_rounds: int,
        result_limit: int,
        heartbeat: float,
        show_status: Callable[[str], None],
    ) -> None:
        self._model = model
        self._runner = runner
        self._sources = sources
        self._max_rounds = max_rounds
        self._result_limit = result_limit
        self._heartbeat = heartbeat
        self._show_status = show_status

    async def stream(
        self, prompt: Sequence[PromptMessage], *, temperature: float | None
    ) -> AsyncIterator[str | ModelSignal]:
        """The answer's text and the model's signs of life, over every round."""
        messages: list[PromptMessage] = list(prompt)
        wrote = False
        for round_number in range(self._max_rounds + 1):
            may_call = round_number < self._max_rounds
            calls: list[ToolCall] = []
            text: list[str] = []
            deltas = self._model.stream_chat(
                messages,
                temperature=temperature,
                tools=self._runner.tools,
                tool_choice="auto" if may_call else "none",
            )
            async with aclosing(deltas):
                async for delta in deltas:
                    if isinstance(delta, ToolCall):
                        calls.append(delta)
                        continue
                    if isinstance(delta, str):
                        if wrote and not text:
                            yield ROUND_BREAK
                        text.append(delta)
                    yield delta
            wrote = wrote or bool(text)
            if not calls:
                return
            if not may_call:
                raise ModelError("the model kept asking for tools")
            self._show_status(self._runner.statuses(calls))
            running = asyncio.ensure_future(self._runner.run(calls))
            try:
                while not (await asyncio.wait({running}, timeout=self._heartbeat))[0]:
                    yield ModelSignal.ALIVE
            finally:
                running.cancel()  # Only does something if the answer stopped while the tools ran.
            results = running.result()
            messages.append(
                {
                    "role": "assistant",
                    "content": "".join(text) or None,
                    "tool_calls": [c.wire() for c in calls],
                }
            )
            messages.extend(
                self._result_message(call, result) for call, result in zip(calls, results, strict=True)
            )

    def _result_message(self, call: ToolCall, result: ToolResult) -> ToolResultMessage:
        content = self._sources.for_model(result, self._result_limit)
        return {"role": "tool", "tool_call_id": call.id, "content": content}
