"""The sources tools found for one answer: numbered across it, shown to the model, and cited."""

from __future__ import annotations

import re

from .tools import SourcePassage, ToolResult

CITE_INSTRUCTION = (
    "Sources. When you use one, cite it by its number in square brackets, such as [1], "
    "right after what it supports."
)
EMPTY_RESULT = "(The tool returned nothing.)"

_MARKER = re.compile(r"\[(\d{1,4})\]")


class AnswerSources:
    """Numbers the passages that tools return, [1], [2]…, across one answer's rounds."""

    def __init__(self) -> None:
        self._passages: list[SourcePassage] = []

    def for_model(self, result: ToolResult, limit: int) -> str:
        """What the model reads of `result`: its text, then its passages under their numbers, at most
        `limit` characters. Only the passages whose number made it into the text are numbered."""
        first = len(self._passages) + 1
        text = result.text.strip()
        if result.citations:
            text = f"{text}\n\n{CITE_INSTRUCTION}" if text else CITE_INSTRUCTION
        heading_ends: list[int] = []
        for number, passage in enumerate(result.citations, first):
            text += f"\n\n{_heading(number, passage)}"
            heading_ends.append(len(text))
            text += f"\n{passage.passage.strip()}"
        shown, kept = cut(text, limit)
        self._passages.extend(
            passage for passage, end in zip(result.citations, heading_ends, strict=True) if end <= kept
        )
        return shown or EMPTY_RESULT

    def cited(self, text: str) -> list[tuple[int, SourcePassage]]:
        """The passages whose `[n]` marker is in `text`, with their numbers, in number order."""
        markers = {int(number) for number in _MARKER.findall(text)}
        return [(number, passage) for number, passage in enumerate(self._passages, 1) if number in markers]


def cut(text: str, limit: int) -> tuple[str, int]:
    """`text` in at most `limit` characters, with a note if it had to be cut; and how much of it is kept."""
    if len(text) <= limit:
        return text, len(text)
    note = f"\n…(cut: the result was longer than {limit} characters)"
    kept = max(limit - len(note), 0)
    return (text[:kept] + note)[:limit], kept


def _heading(number: int, passage: SourcePassage) -> str:
    url = f" <{passage.url}>" if passage.url else ""
    return f"[{number}] {passage.name.strip()}{url}"
