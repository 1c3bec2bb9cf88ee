"""Markdown as plain text, and text shortened at a word: for citation names and abstracts, which
clients show as plain text with a length limit."""

from __future__ import annotations

import re

ELLIPSIS = "…"

_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_FENCE_LINE = re.compile(r"^\s*(```|~~~).*$", re.MULTILINE)
_LINE_MARK = re.compile(r"^\s*(#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)", re.MULTILINE)
_TABLE_RULE = re.compile(r"^\s*\|?(\s*:?-{3,}:?\s*\|)+\s*:?-*:?\s*$", re.MULTILINE)
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")
_SPACE = re.compile(r"\s+")


def plain_text(markdown: str) -> str:
    """The words of `markdown` on one line, without its marks: links keep their text, code its content."""
    text = _IMAGE_OR_LINK.sub(r"\1", markdown)
    text = _FENCE_LINE.sub(" ", text)
    text = _TABLE_RULE.sub(" ", text)
    text = _LINE_MARK.sub("", text)
    text = _EMPHASIS.sub("", text).replace("|", " ")
    return _SPACE.sub(" ", text).strip()


def shorten(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else its start cut at a word, ending with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    word_end = cut.rfind(" ")
    if word_end > limit // 2:
        cut = cut[:word_end]
    return cut.rstrip(" ,;:.-") + ELLIPSIS
