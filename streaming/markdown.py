"""Where a partial Markdown answer can be shown or split without breaking how it renders."""

from __future__ import annotations

import re

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.MULTILINE)


def open_fence(text: str) -> re.Match[str] | None:
    """The code fence that `text` opens and does not close, if any."""
    opened: re.Match[str] | None = None
    for fence in _FENCE.finditer(text):
        if opened is None:
            opened = fence
        elif fence.group(1)[0] == opened.group(1)[0] and len(fence.group(1)) >= len(opened.group(1)):
            opened = None
    return opened


def readable_prefix(text: str) -> str:
    """The longest prefix of `text` that renders as it will in the end.

    A prefix that stops inside an unfinished code fence renders the rest of the answer as code,
    and one that stops inside a table row renders a broken table; both jump when the rest comes.
    """
    fence = open_fence(text)
    if fence is not None:
        text = text[: fence.start()]
    last_line_start = text.rfind("\n") + 1
    if text[last_line_start:].lstrip().startswith("|"):
        text = text[:last_line_start]
    return text


def utf16_length(text: str) -> int:
    """The length channels count: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def split_point(text: str, start: int, limit: int) -> int:
    """Where to end a piece of `text` that must be at most `limit` UTF-16 units long.

    Prefers a paragraph break, then a line break, then a space, never before `start` (text the
    user has already seen in this piece stays in it).
    """
    end = _index_within(text, limit)
    if end >= len(text):
        return len(text)
    for separator in ("\n\n", "\n", " "):
        cut = text.rfind(separator, start, end)
        if cut > start:
            return cut + len(separator)
    return max(end, start)


def _index_within(text: str, limit: int) -> int:
    """The largest index whose prefix is at most `limit` UTF-16 units (a binary search)."""
    if utf16_length(text) <= limit:
        return len(text)
    low, high = 0, min(len(text), limit)
    while low < high:
        middle = (low + high + 1) // 2
        if utf16_length(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low
