"""Where the sources an answer cites join its final message."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from streaming import AnswerStream, Citation

from .tools import SourcePassage

logger = logging.getLogger(__name__)


def cite_sources(answer: AnswerStream, cited: Sequence[tuple[int, SourcePassage]]) -> None:
    """Give `answer` the passages its text cites, by their `[n]` numbers, before its final message,
    which shows them as the channel's client shows citations (see `streaming.answer_marks`)."""
    if cited:
        logger.info("the answer cites %s", ", ".join(f"[{number}] {p.name}" for number, p in cited))
        answer.cite([Citation(number, p.name, p.passage, p.url) for number, p in cited])
