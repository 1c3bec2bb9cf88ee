"""Runs the tool calls of one round at once, each within its time limit, and never fails the answer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import orjson

from llm import ToolCall

from .tools import Tool, ToolResult

logger = logging.getLogger(__name__)

MAX_CALLS_PER_ROUND = 4
"""Calls beyond these in one round are not run: the model is told, and each result costs context."""


class ToolRunner:
    """The tools an answer may use, by name, and how a call of one goes."""

    def __init__(self, tools: Sequence[Tool]) -> None:
        self.tools = tuple(tools)
        self._by_name = {tool.name: tool for tool in tools}

    def statuses(self, calls: Sequence[ToolCall]) -> str:
        """The status lines of the tools `calls` use, each once: what the user sees while they run."""
        lines = dict.fromkeys(self._by_name[call.name].status for call in calls if call.name in self._by_name)
        return " ".join(line for line in lines if line)

    async def run(self, calls: Sequence[ToolCall]) -> list[ToolResult]:
        """One result per call, in order, the calls running concurrently. A failure, a timeout or bad
        arguments give a short error for the model instead; cancelling this cancels every call."""
        results = await asyncio.gather(*(self._run(call) for call in calls[:MAX_CALLS_PER_ROUND]))
        refused = _error(f"not run: at most {MAX_CALLS_PER_ROUND} tool calls run at once")
        return [*results, *(refused for _ in calls[MAX_CALLS_PER_ROUND:])]

    async def _run(self, call: ToolCall) -> ToolResult:
        tool = self._by_name.get(call.name)
        if tool is None:
            return _error(f"there is no tool named {call.name[:64]!r}")
        try:
            arguments = _arguments(call.arguments)
        except ValueError as error:
            return _error(f"the arguments for {tool.name} were not usable: {error}")
        try:
            async with asyncio.timeout(tool.timeout):
                return await tool.run(arguments)
        except TimeoutError:
            logger.warning("tool %s did not answer within %gs", tool.name, tool.timeout)
            return _error(f"{tool.name} did not answer within {tool.timeout:g} seconds")
        except Exception:
            logger.exception("tool %s failed", tool.name)
            return _error(f"{tool.name} failed")


def _arguments(text: str) -> dict[str, object]:
    """The call's arguments: a JSON object (no text at all counts as none)."""
    if not text.strip():
        return {}
    try:
        arguments = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise ValueError("they are not valid JSON") from None
    if not isinstance(arguments, dict):
        raise ValueError("they are not a JSON object")
    return arguments


def _error(message: str) -> ToolResult:
    """A short error the model reads as the call's result, so that it can answer without it."""
    return ToolResult(f"Error: {message}.")
