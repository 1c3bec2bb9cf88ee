"""What the knowledge tool searches: any source of passages behind one method."""

from __future__ import annotations

from typing import Protocol

from answers.tools import SourcePassage


class RetrieverUnavailable(Exception):
    """The retriever cannot search now (still indexing, its service down); the message says why."""


class Retriever(Protocol):
    """A searchable knowledge source: the built-in SQLite index, or Azure AI Search and the like."""

    async def search(self, query: str, limit: int) -> list[SourcePassage]:
        """The passages that best answer `query`, best first, at most `limit`; [] when none match.

        Raise `RetrieverUnavailable` when the source cannot be searched now: the model is told so.
        """
        ...
