"""A tool for the model to call in tests: it does what the test says and records how it was run."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from answers.tools import SourcePassage, ToolResult

Behaviour = Callable[[dict[str, object]], Awaitable[ToolResult]]


def answers(text: str, *citations: SourcePassage) -> Behaviour:
    """Answer at once with `text` and the passages it may cite."""

    async def run(_arguments: dict[str, object]) -> ToolResult:
        return ToolResult(text, citations)

    return run


def waits_for(event: asyncio.Event, result: ToolResult) -> Behaviour:
    """Answer `result` once `event` is set."""

    async def run(_arguments: dict[str, object]) -> ToolResult:
        await event.wait()
        return result

    return run


async def hangs(_arguments: dict[str, object]) -> ToolResult:
    """Never answer."""
    await asyncio.Event().wait()
    return ToolResult("never")


async def fails(_arguments: dict[str, object]) -> ToolResult:
    """Raise, as a tool with a bug or a broken backend does."""
    raise RuntimeError("the search index is corrupt")


@dataclass
class ScriptedTool:
    """Implements `answers.tools.Tool`; `behaviour` decides what a call does."""

    name: str
    behaviour: Behaviour
    status: str = "Searching…"
    timeout: float = 5.0
    description: str = "Finds passages about a question."
    parameters: dict[str, object] = field(
        default_factory=lambda: {"type": "object", "properties": {"query": {"type": "string"}}}
    )
    calls: list[dict[str, object]] = field(default_factory=list)
    """The arguments of every call, in the order they started."""
    started: asyncio.Event = field(default_factory=asyncio.Event)
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when a call was cancelled (Stop, a new message, shutdown, its time limit)."""

    async def run(self, arguments: dict[str, object]) -> ToolResult:
        self.calls.append(arguments)
        self.started.set()
        try:
            return await self.behaviour(arguments)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
