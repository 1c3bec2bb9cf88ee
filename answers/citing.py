"""Where the sources an answer cites join its final message."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from streaming import AnswerStream

from .tools import SourcePassage

logger = logging.getLogger(__name__)


def cite_sources(answer: AnswerStream, cited: Sequence[tuple[int, SourcePassage]]) -> None:
    """Give `answer` the passages its text cites, by their `[n]` numbers, before its final message.

    The one call site of `AnswerStream.cite` (issue 13's answer marks, AI-CONTRACTS.md §1), which
    this branch does not have yet; merging connects it here as
    `answer.cite([Citation(number, p.name, p.passage, p.url) for number, p in cited])`.
    Until then the citations are only logged.
    """
    if cited:
        logger.info("the answer cites %s", ", ".join(f"[{number}] {p.name}" for number, p in cited))
