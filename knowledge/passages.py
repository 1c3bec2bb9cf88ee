"""Documents split into passages: the pieces a search finds and an answer cites.

A Markdown document is cut at its headings, and each section's paragraphs are packed into passages of
at most `MAX_PASSAGE_CHARS`, so a passage is about one thing and short enough to quote to the model. A
passage keeps its document's title (the first `#` heading, else the file's name), the headings above
it (searched, and named in the citation) and its heading's anchor, as GitHub spells it, for the link.
A plain text file has no headings: its paragraphs are packed the same way under the file's title.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from .plain_text import plain_text

MAX_PASSAGE_CHARS = 1200
"""The longest passage: a few paragraphs, about 300 tokens."""

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n---[ \t]*\n", re.DOTALL)
_ANCHOR_DROPPED = re.compile(r"[^\w\- ]")


@dataclass(frozen=True)
class Passage:
    """One searchable piece of a document."""

    path: str  # the document, relative to the knowledge folder, with "/" between folders
    title: str
    headings: tuple[str, ...]  # the section's headings below the title, outermost first
    anchor: str  # the section's anchor in the document ("" for the text before the first heading)
    text: str

    @property
    def heading(self) -> str:
        """The nearest heading, or "" for the text before the first one."""
        return self.headings[-1] if self.headings else ""


@dataclass
class _Section:
    headings: tuple[str, ...]
    anchor: str
    lines: list[str]


def split_document(path: str, text: str) -> list[Passage]:
    """The passages of one document: Markdown unless `path` ends in `.txt`."""
    if path.lower().endswith(".txt"):
        sections = [_Section((), "", text.splitlines())]
        title = _title_from_path(path)
    else:
        title, sections = _markdown_sections(path, _FRONT_MATTER.sub("", text, count=1))
    return [
        Passage(path, title, section.headings, section.anchor, chunk)
        for section in sections
        for chunk in pack(_blocks(section.lines), MAX_PASSAGE_CHARS)
    ]


def _markdown_sections(path: str, text: str) -> tuple[str, list[_Section]]:
    """The document's title and its sections, cut at headings outside code blocks."""
    title = ""
    sections = [_Section((), "", [])]
    stack: list[tuple[int, str]] = []  # (level, heading) of the headings above the current line
    anchors: dict[str, int] = {}
    fence = ""
    for line in text.splitlines():
        if fence:
            fence = "" if line.strip().startswith(fence) else fence
        elif fence_match := _FENCE.match(line):
            fence = fence_match.group(1)
        elif heading_match := _HEADING.match(line):
            level, heading = len(heading_match.group(1)), plain_text(heading_match.group(2))
            anchor = _anchor(heading, anchors)
            if level == 1 and not title:
                title = heading
                sections.append(_Section((), anchor, []))
                continue
            stack = [*(entry for entry in stack if entry[0] < level), (level, heading)]
            sections.append(_Section(tuple(name for _, name in stack), anchor, []))
            continue
        sections[-1].lines.append(line)
    return title or _title_from_path(path), sections


def _anchor(heading: str, seen: dict[str, int]) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as "-", repeats numbered."""
    slug = _ANCHOR_DROPPED.sub("", heading.lower()).replace(" ", "-")
    count = seen.get(slug, 0)
    seen[slug] = count + 1
    return f"{slug}-{count}" if count else slug


def _title_from_path(path: str) -> str:
    """A title made from a file name: "running-several_instances.md" gives "Running several instances"."""
    words = PurePosixPath(path).stem.replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else path


def _blocks(lines: list[str]) -> Iterator[str]:
    """The paragraphs of a section; a fenced code block is one paragraph, blank lines and all."""
    block: list[str] = []
    fence = ""
    for line in lines:
        if fence:
            block.append(line)
            fence = "" if line.strip().startswith(fence) else fence
        elif fence_match := _FENCE.match(line):
            fence = fence_match.group(1)
            block.append(line)
        elif line.strip():
            block.append(line.rstrip())
        elif block:
            yield "\n".join(block)
            block = []
    if block:
        yield "\n".join(block)


def pack(blocks: Iterator[str], limit: int) -> Iterator[str]:
    """The blocks joined by blank lines into chunks of at most `limit` characters, in order; a block
    longer than that is cut at lines, then at words, then anywhere."""
    chunk = ""
    for block in blocks:
        for piece in _pieces(block, limit):
            if chunk and len(chunk) + 2 + len(piece) > limit:
                yield chunk
                chunk = ""
            chunk = f"{chunk}\n\n{piece}" if chunk else piece
    if chunk:
        yield chunk


def _pieces(block: str, limit: int) -> Iterator[str]:
    """`block` in pieces of at most `limit` characters, cut at the latest line end, else space."""
    while len(block) > limit:
        cut = block.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = block.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        head, block = block[:cut].rstrip(), block[cut:].lstrip()
        if head:
            yield head
    if block.strip():
        yield block
