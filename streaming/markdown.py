"""Where a partial Markdown answer can be shown or split without breaking how it renders."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

HOLD_LIMIT = 300
"""How far behind the end an open marker may be and still hold the text after it back: an older one
is taken for a literal character (a `*` in prose), so that it cannot freeze the bubble."""

SCAN_WINDOW = 3 * HOLD_LIMIT
"""How far back from the end inline markers are read: far enough to see what the markers that may
still hold text back belong to, and the reason each update costs the same however long the answer."""

# A code fence line: indentation, marker, info string. Any indentation: models indent fences in lists.
_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})([^\n]*)", re.MULTILINE)
_TABLE = re.compile(r"^[ \t]*\|[^\n]*(?:\n[ \t]*\|[^\n]*)*", re.MULTILINE)
# A last line that is only the start of a heading, list item, setext underline, rule or fence: shown
# now, it renders as something else (a paragraph, or the line above as a heading) until it goes on.
_MARKER_LINE = re.compile(r"[ \t]*(?:[-+*=_#>]+|\d{1,9}[.)]?|`{1,2}|~{1,2})[ \t]*")
# Lines that start a new inline context: list items, quotes, table rows, headings.
_BLOCK_START = re.compile(r"[ \t]*(?:[-+*][ \t]|\d{1,9}[.)][ \t]|>|\||#{1,6}(?:[ \t]|$))")
# Lines that are a block of their own: headings, table rows, thematic breaks, setext underlines.
_ONE_LINE_BLOCK = re.compile(r"[ \t]*(?:#{1,6}(?:[ \t].*)?|\|.*|(?:[-*_][ \t]*){3,}|=+[ \t]*)$")
_INLINE = re.compile(r"\\.|`+|\*+|_+|~+|!?\[|\]", re.DOTALL)
# The `(destination "title")` of an inline link, whole or cut off by the end of the text.
_LINK_TAIL = re.compile(r'\((?:[^\s()]++|\([^\s()]*+\))*+(?:[ \t]++"[^"\n]*+")?[ \t]*+\)')
_LINK_TAIL_SO_FAR = re.compile(r'\((?:[^\s()]++|\([^\s()]*+\)?)*+(?:[ \t]++(?:"[^"\n]*+"?[ \t]*+)?)?\Z')


def readable_prefix(text: str) -> str:
    """The longest prefix of `text` that renders as it will in the end, or close to it.

    A prefix that stops inside an unfinished code fence renders the rest of the answer as code, one
    that stops inside a table row renders a broken table, and one that stops inside `**bold`,
    `` `code ``, `[a link](` or at a lone `#` or `-` shows the markers as text: each jumps when the
    rest comes, so it is held back until it closes, or until it is `HOLD_LIMIT` characters old.
    """
    oldest = len(text) - HOLD_LIMIT
    floor = 0  # where the text after the last closed code fence starts
    for opening, end in _fence_blocks(text):
        if end is None:
            text = text[: opening.start()]
            break
        floor = end
    while (end := _readable_end(text, floor, oldest)) < len(text):
        text = text[:end]  # The cut may have opened a marker that was closed after it: look again.
    return text


def closing_fence(text: str) -> str:
    """What closes the code fence that `text` leaves open: its marker on a line of its own, or ""."""
    fence = _open_fence(text)
    if fence is None:
        return ""
    indent, marker, _info = fence.groups()
    newline = "" if text.endswith("\n") else "\n"
    return f"{newline}{indent}{marker}"


def reopening_fence(text: str) -> str:
    """The line that reopens the code fence that `text` leaves open (info string and all), or ""."""
    fence = _open_fence(text)
    if fence is None:
        return ""
    indent, marker, info = fence.groups()
    # Four spaces would make it an indented code block outside the list it was in.
    return f"{indent if len(indent) <= 3 else ''}{marker}{info}\n"


class PieceEnd(NamedTuple):
    """Where a piece of a long answer ends, and the fence line that closes the code it ends in."""

    end: int
    closing: str


def split_piece(lead: str, text: str, seen: int, limit: int) -> PieceEnd:
    """Where to end a piece shown as `lead + text[:end] + closing` in at most `limit` UTF-16 units.

    `lead` reopens code that the previous piece ended in (see `reopening_fence`); `closing` closes
    code this one ends in, so that both bubbles render it as code. The piece keeps `text[:seen]`,
    which the user has seen (updates hold open fences back, so no closing is needed after it), and
    ends after at least one character of `text`.
    """
    piece = lead + text
    floor = len(lead) + seen
    reserve = 0
    while True:
        end = max(split_point(piece, floor, limit - reserve), len(lead) + 1)
        closing = closing_fence(piece[:end])
        needed = utf16_length(closing)
        if needed <= reserve or end <= floor:
            return PieceEnd(end - len(lead), closing)
        reserve = needed


def utf16_length(text: str) -> int:
    """The length channels count: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def split_point(text: str, start: int, limit: int) -> int:
    """Where to end a piece of `text` that must be at most `limit` UTF-16 units long.

    Prefers a paragraph break, then a line break, then a space, outside code fences and tables
    first; never before `start` (text the user has already seen in this piece stays in it).
    """
    end = _index_within(text, limit)
    if end >= len(text):
        return len(text)
    blocks = _block_spans(text[:end])
    for avoided in (blocks, []):
        for separator in ("\n\n", "\n", " "):
            cut = _last_cut(text, separator, start, end, avoided)
            if cut is not None:
                return cut
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


def _last_cut(text: str, separator: str, start: int, end: int, avoided: list[tuple[int, int]]) -> int | None:
    """The end of the last `separator` from `start` on and by `end` that is not inside an avoided span.

    One right at `start` counts (seen text tends to end before a word's space), but not at 0: a
    piece of only a separator would show nothing.
    """
    before = end
    while (found := text.rfind(separator, max(start, 1), before)) >= 0:
        cut = found + len(separator)
        inside = next((span for span in avoided if span[0] < cut < span[1]), None)
        if inside is None:
            return cut
        before = inside[0]
    return None


def _block_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each code fence block and table in `text`: where a cut breaks the rendering."""
    fences = [(opening.start(), len(text) if end is None else end) for opening, end in _fence_blocks(text)]
    tables = [
        (table.start(), table.end())
        for table in _TABLE.finditer(text)
        if not any(start <= table.start() < end for start, end in fences)
    ]
    return fences + tables


def _fence_blocks(text: str) -> Iterator[tuple[re.Match[str], int | None]]:
    """Each fenced code block: its opening line, and where it ends (None while it is open)."""
    opening: re.Match[str] | None = None
    for line in _fence_lines(text):
        _indent, marker, info = line.groups()
        if opening is None:
            if not (marker[0] == "`" and "`" in info):  # ```a``` on one line is inline code
                opening = line
        elif marker[0] == opening[2][0] and len(marker) >= len(opening[2]) and not info.strip():
            yield opening, min(line.end() + 1, len(text))
            opening = None
    if opening is not None:
        yield opening, None


def _fence_lines(text: str) -> list[re.Match[str]]:
    """The lines of `text` that start with a fence marker, in order.

    Found with `str.find`, many times faster than a regex over every line start: this runs
    before every update, over the whole piece.
    """
    lines = []
    for marker in ("```", "~~~"):
        found = text.find(marker)
        while found >= 0:
            line_start = text.rfind("\n", 0, found) + 1
            line = _FENCE.match(text, line_start) if not text[line_start:found].strip(" \t") else None
            if line is not None:
                lines.append(line)
            next_line = text.find("\n", found)
            found = text.find(marker, next_line) if next_line >= 0 else -1
    return sorted(lines, key=lambda line: line.start())


def _open_fence(text: str) -> re.Match[str] | None:
    """The opening line of the code fence that `text` leaves open, if any."""
    return next((opening for opening, end in _fence_blocks(text) if end is None), None)


def _readable_end(text: str, floor: int, oldest: int) -> int:
    """Where the first thing at the end of `text` that would render wrongly starts (or its length).

    `text[floor:]` is outside code fences; markers that start before `oldest` are not held back.
    """
    line_start = text.rfind("\n", floor) + 1 or floor
    last_line = text[line_start:]
    if last_line.lstrip().startswith("|") or _MARKER_LINE.fullmatch(last_line):
        return line_start
    window = len(text) - SCAN_WINDOW
    if window > floor:
        floor = text.find(" ", window) + 1 or window  # at a word, to be less likely inside code
    return _inline_hold(text, _paragraph_start(text, floor), oldest)


def _paragraph_start(text: str, floor: int) -> int:
    """Where the inline content that the end of `text` belongs to starts (not before `floor`).

    Emphasis, code spans and links do not cross a blank line or the start of a list item, quote,
    table row or heading.
    """
    line_end = len(text)
    while line_end > floor:
        line_start = text.rfind("\n", floor, line_end) + 1 or floor
        line = text[line_start:line_end]
        if line_end < len(text) and (not line.strip() or _ONE_LINE_BLOCK.match(line)):
            return line_end + 1
        if _BLOCK_START.match(line):
            return line_start
        line_end = line_start - 1
    return floor


@dataclass
class _Delimiter:
    """A run of `*`, `_` or `~` that may open emphasis (or strikethrough), and how much is unused."""

    position: int
    char: str
    length: int
    left: int
    can_close: bool
    holds: bool  # whether it holds the text after it back while it is open


def _inline_hold(text: str, start: int, oldest: int) -> int:
    """Where the first emphasis, code span or link that `text[start:]` leaves open starts.

    Follows CommonMark's delimiter rules: a run opens only if it is left-flanking (so `* item`,
    `2 * 3` and `snake_case` open nothing), and closes the nearest matching opener before it.
    """
    cut = len(text)
    openers: list[_Delimiter] = []
    brackets: list[int] = []
    position = start
    while (token := _INLINE.search(text, position)) is not None:
        run = token[0]
        position = token.end()
        if run[0] == "`":
            closed = _code_span_end(text, position, len(run))
            if closed is None and token.start() >= oldest:
                cut = token.start()  # What follows it is cut off anyway.
                break
            position = closed or position
        elif run[0] in "![":
            brackets.append(token.start())
        elif run == "]" and brackets:
            opened = brackets.pop()
            link = _LINK_TAIL.match(text, position)
            if link is not None:
                position = link.end()
            elif opened >= oldest and (position == len(text) or _LINK_TAIL_SO_FAR.match(text, position)):
                cut = opened  # `[text]` that may yet get its `(url)`, or half a url
                break
        elif run[0] in "*_~":
            _add_delimiter_run(openers, text, token.start(), run)
    unclosed = [opener.position for opener in openers if opener.holds] + brackets
    return min([cut, *(opened for opened in unclosed if opened >= oldest)])


def _code_span_end(text: str, position: int, length: int) -> int | None:
    """The end of the run of exactly `length` backticks after `position` that closes a code span."""
    fence = "`" * length
    while (found := text.find(fence, position)) >= 0:
        run_end = found + length
        while run_end < len(text) and text[run_end] == "`":
            run_end += 1
        if run_end - found == length:
            return run_end
        position = run_end
    return None


def _add_delimiter_run(openers: list[_Delimiter], text: str, start: int, run: str) -> None:
    """Let the run close what it can of `openers`; what is left of it opens, if it may."""
    char = run[0]
    if char == "~" and len(run) > 2:
        return  # Strikethrough takes one or two tildes; more are text.
    end = start + len(run)
    before = text[start - 1] if start else "\n"
    if end < len(text):
        can_open, can_close = _flanking(char, before, text[end])
        holds = can_open and not can_close  # An intraword run (`2*3`) is more likely text.
    else:
        # The run ends the text: it closes what it can; what comes next decides about the rest.
        can_close = not before.isspace()
        can_open = holds = before.isspace() or _is_punctuation(before)
    unused = len(run)
    while can_close and unused:
        opener = _matching_opener(openers, char, len(run), can_open)
        if opener is None:
            break
        del openers[openers.index(opener) + 1 :]  # Openers in between stay text.
        used = unused if char == "~" else min(2, opener.left, unused)
        opener.left -= used
        unused -= used
        if not opener.left:
            openers.pop()
    if can_open and unused:
        openers.append(_Delimiter(end - unused, char, len(run), unused, can_close, holds))


def _flanking(char: str, before: str, after: str) -> tuple[bool, bool]:
    """Whether a run of `char` between `before` and `after` can open, and can close, emphasis."""
    left = not after.isspace() and (not _is_punctuation(after) or before.isspace() or _is_punctuation(before))
    right = not before.isspace() and (
        not _is_punctuation(before) or after.isspace() or _is_punctuation(after)
    )
    if char == "_":  # `snake_case` opens nothing
        return left and (not right or _is_punctuation(before)), right and (not left or _is_punctuation(after))
    return left, right


def _matching_opener(openers: list[_Delimiter], char: str, length: int, can_open: bool) -> _Delimiter | None:
    """The nearest opener that a closing run of `length` `char`s matches (CommonMark's rule of 3)."""
    for opener in reversed(openers):
        if opener.char != char or (char == "~" and opener.length != length):
            continue
        both_ways = can_open or opener.can_close
        if both_ways and (opener.length + length) % 3 == 0 and (opener.length % 3 or length % 3):
            continue
        return opener
    return None


def _is_punctuation(char: str) -> bool:
    """Unicode punctuation or symbol, as CommonMark counts it for flanking."""
    return unicodedata.category(char)[0] in "PS"
