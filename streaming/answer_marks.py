"""What a model answer's final message carries besides its text, and its wire form on each channel.

Teams shows an "AI generated" label, citations and a sensitivity label from one schema.org
`Message` entity, and feedback buttons from `channelData.feedbackLoop`. The limits here are the
strictest of Teams' documentation and the Microsoft 365 Agents Playground's validation.

Citations reach each client the way it renders them (`CitationStyle`): Teams from the entity's
claims, matched to the `[n]` markers in the text; Web Chat 4.18.1 only from Markdown link
reference definitions (`[1]: <url> "name"`) at the end of the text, which it matches to the
claims by position and draws as its own citation links and reference list; every other client
(the Emulator among them) gets a short numbered list of sources under the text.

It imports no SDK: both bindings render the same dicts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from .markdown import utf16_length

MAX_CITATIONS = 10  # the Playground's schema; Teams' documentation says 20
NAME_LIMIT = 80
ABSTRACT_LIMIT = 160
MAX_KEYWORDS = 3
KEYWORD_LIMIT = 28
URL_LIMIT = 2048  # longer URLs are left out rather than sent to break a link
POPUP_LIMIT = 1000  # the passage Web Chat shows for a source without a URL (no documented limit)
ELLIPSIS = "…"

MESSAGE_ENTITY_TYPE = "https://schema.org/Message"
AI_GENERATED = "AIGeneratedContent"
SOURCES_HEADING = "Sources:"

FeedbackLoop = Literal["default", "custom"]
CitationStyle = Literal["entity", "link_definitions", "source_list"]

_MARKER = re.compile(r"\[(\d{1,4})\]")
_ENDS_DESTINATION = str.maketrans({" ": "%20", "(": "%28", ")": "%29", "<": "%3C", ">": "%3E"})


@dataclass(frozen=True)
class Citation:
    """One source the answer cites as `[position]` in its text."""

    position: int  # the [n] marker in the text, 1-based
    name: str  # the source's title (≤ 80 chars on the wire, never empty)
    abstract: str  # a short passage (≤ 160 on the wire, never empty)
    url: str | None = None
    keywords: tuple[str, ...] = ()  # ≤ 3 on the wire, each ≤ 28


@dataclass(frozen=True)
class SensitivityLabel:
    """A label such as "Confidential" that Teams shows on the message, with its description."""

    name: str
    description: str


@dataclass(frozen=True)
class AnswerMarks:
    """What a model answer's final message carries besides its text."""

    ai_generated: bool = True
    citations: tuple[Citation, ...] = ()
    feedback: FeedbackLoop | None = None
    sensitivity: SensitivityLabel | None = None


def citation_style(channel_id: str) -> CitationStyle:
    """How a channel's client shows citations: Teams from the entity, Web Chat from link
    definitions, every other client from a list in the text."""
    if channel_id == "msteams":
        return "entity"
    if channel_id in ("webchat", "directline"):
        return "link_definitions"
    return "source_list"


def cited(citations: Iterable[Citation], text: str) -> tuple[Citation, ...]:
    """The citations that can be sent: their `[n]` marker is in `text`, their name and abstract
    are not blank; the first one per position, in position order, at most `MAX_CITATIONS`."""
    markers = {int(number) for number in _MARKER.findall(text)}
    chosen: dict[int, Citation] = {}
    for citation in citations:
        if citation.position in markers and citation.position not in chosen and _usable(citation):
            chosen[citation.position] = citation
    return tuple(chosen[position] for position in sorted(chosen)[:MAX_CITATIONS])


def message_entity(marks: AnswerMarks, text: str, style: CitationStyle) -> dict[str, object] | None:
    """The one schema.org `Message` entity of a final message with `text`; None if it has nothing
    to carry. Claims go in it where the client reads them (not with a source list)."""
    fields: dict[str, object] = {}
    if marks.ai_generated:
        fields["additionalType"] = [AI_GENERATED]
    if style != "source_list":
        popup = style == "link_definitions"
        claims = [_claim(citation, popup=popup) for citation in cited(marks.citations, text)]
        if claims:
            fields["citation"] = claims
    if marks.sensitivity is not None:
        fields["usageInfo"] = _usage_info(marks.sensitivity)
    if not fields:
        return None
    return {
        "type": MESSAGE_ENTITY_TYPE,
        "@type": "Message",
        "@context": "https://schema.org",
        "@id": "",
        **fields,
    }


def feedback_channel_data(marks: AnswerMarks) -> dict[str, object]:
    """The `channelData` fields that show the feedback buttons (none without feedback)."""
    return {"feedbackLoop": {"type": marks.feedback}} if marks.feedback else {}


def sources_text(citations: Sequence[Citation], text: str, style: CitationStyle) -> str:
    """What goes under `text` for its citations on a client of `style`: link definitions, a
    numbered list of sources, or nothing (Teams reads the claims)."""
    sources = cited(citations, text)
    if not sources or style == "entity":
        return ""
    if style == "link_definitions":
        return "\n".join(_link_definition(citation) for citation in sources)
    lines = [SOURCES_HEADING, ""]
    for citation in sources:
        name = _markdown_text(_clip(citation.name, NAME_LIMIT))
        url = _url(citation.url)
        lines.append(f"- [{citation.position}] " + (f"[{name}]({_link_destination(url)})" if url else name))
    return "\n".join(lines)


def _usable(citation: Citation) -> bool:
    return citation.position > 0 and bool(citation.name.strip()) and bool(citation.abstract.strip())


def _claim(citation: Citation, *, popup: bool) -> dict[str, object]:
    """A citation as a schema.org `Claim`; `popup` adds the passage as the Markdown Web Chat shows
    when a source without a URL is clicked (Teams reads `text` as an Adaptive Card: not there)."""
    appearance: dict[str, object] = {
        "@type": "DigitalDocument",
        "name": _clip(citation.name, NAME_LIMIT),
        "abstract": _clip(citation.abstract, ABSTRACT_LIMIT),
    }
    url = _url(citation.url)
    if url:
        appearance["url"] = url
    keywords = [_clip(word, KEYWORD_LIMIT) for word in citation.keywords if word.strip()][:MAX_KEYWORDS]
    if keywords:
        appearance["keywords"] = keywords
    if popup and not url:
        appearance["text"] = _cut(citation.abstract.strip(), POPUP_LIMIT)
    return {"@type": "Claim", "position": citation.position, "appearance": appearance}


def _usage_info(label: SensitivityLabel) -> dict[str, object]:
    info: dict[str, object] = {"@type": "CreativeWork", "name": label.name}
    if label.description:
        info["description"] = label.description
    return info


def _link_definition(citation: Citation) -> str:
    """`[n]: <url> "name"`; a source without a URL gets `cite:n`, which Web Chat opens as a popup."""
    url = _url(citation.url) or f"cite:{citation.position}"
    title = _clip(citation.name, NAME_LIMIT).replace("\\", "\\\\").replace('"', '\\"')
    return f'[{citation.position}]: {_link_destination(url)} "{title}"'


def _url(url: str | None) -> str | None:
    """`url` if it is an http(s) URL short enough to send; anything else is no link at all."""
    url = (url or "").strip()
    return url if url.startswith(("https://", "http://")) and len(url) <= URL_LIMIT else None


def _link_destination(url: str) -> str:
    """`url` as a Markdown link destination: the characters that would end it early, encoded."""
    return (
        url.replace(" ", "%20")
        .replace("(", "%28")
        .replace(")", "%29")
        .replace("<", "%3C")
        .replace(">", "%3E")
    )


def _markdown_text(text: str) -> str:
    """`text` with the characters that would make it a link or emphasis escaped."""
    return re.sub(r"([\\`*_\[\]<>])", r"\\\1", text)


def _clip(text: str, limit: int) -> str:
    """`text` on one line, at most `limit` UTF-16 units (as Teams counts), cut with "…"."""
    return _cut(" ".join(text.split()), limit)


def _cut(text: str, limit: int) -> str:
    """`text` if it is at most `limit` UTF-16 units, else its start and "…" within the limit."""
    if utf16_length(text) <= limit:
        return text
    kept, used = [], 0
    for char in text:
        used += utf16_length(char)
        if used > limit - len(ELLIPSIS):
            break
        kept.append(char)
    return "".join(kept).rstrip() + ELLIPSIS
