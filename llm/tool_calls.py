"""Tool calls as a model streams them: fragments in `delta.tool_calls`, put together by index."""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from .chat_model import ModelError, ToolCall


@dataclass
class _Call:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class ToolCallFragments:
    """Puts together the tool calls of one streamed answer.

    OpenAI sends `[{index, id, type, function: {name, arguments}}]`: a call's first fragment has
    its id and name, later ones only its `index` and more argument text; parallel calls have their
    own indexes. Servers that send each call whole in one fragment (Ollama), repeat the id on every
    fragment, or leave out the index (then a new id starts a new call) are read the same way.
    """

    def __init__(self) -> None:
        self._calls: dict[int, _Call] = {}
        self._last: int | None = None

    def add(self, fragments: object) -> None:
        """Take the `delta.tool_calls` of one chunk."""
        if not isinstance(fragments, list):
            raise ModelError("the model service sent a malformed tool call")
        for fragment in fragments:
            if not isinstance(fragment, dict):
                raise ModelError("the model service sent a malformed tool call")
            call = self._call_for(fragment)
            function = fragment.get("function") or {}
            if not isinstance(function, dict):
                raise ModelError("the model service sent a malformed tool call")
            call.name = call.name or str(function.get("name") or "")
            arguments = function.get("arguments")
            if isinstance(arguments, str):
                call.arguments.append(arguments)
            elif arguments is not None:  # an object instead of its JSON text
                call.arguments.append(orjson.dumps(arguments).decode())

    def calls(self) -> list[ToolCall]:
        """The calls in index order; a call the server gave no id gets one."""
        return [
            ToolCall(call.id or f"call_{index}", call.name, "".join(call.arguments))
            for index, call in sorted(self._calls.items())
        ]

    def _call_for(self, fragment: dict[str, object]) -> _Call:
        call_id = fragment.get("id")
        call_id = call_id if isinstance(call_id, str) else ""
        index = fragment.get("index")
        if not isinstance(index, int):
            index = self._unindexed(call_id)
        call = self._calls.setdefault(index, _Call())
        call.id = call.id or call_id
        self._last = index
        return call

    def _unindexed(self, call_id: str) -> int:
        """Where a fragment without an index belongs: a new id starts a new call, else the last goes on."""
        if self._last is not None and not (call_id and call_id != self._calls[self._last].id):
            return self._last
        return max(self._calls, default=-1) + 1
