"""An in-memory SQLite FTS5 index of passages, ranked by BM25 with titles and headings weighted up.

Built once from a set of passages and never changed: the retriever builds a new one when the files
change and swaps it in. It is searched from worker threads, one search at a time, under its lock.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable

from .passages import Passage

TITLE_WEIGHT = 4.0
HEADINGS_WEIGHT = 3.0
TEXT_WEIGHT = 1.0
"""BM25 weights of the columns: a query word in the document's title or the passage's headings counts
for more than one in its text, since titles and headings say what a passage is about."""

_TOKENIZER = "porter unicode61 remove_diacritics 2"


class Fts5Index:
    """Full-text search over a fixed set of passages."""

    def __init__(self, passages: Iterable[Passage]) -> None:
        self._passages = list(passages)
        self._lock = threading.Lock()
        self._closed = False
        # Searched from worker threads other than the builder's, never two at once (the lock).
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute(
            f"CREATE VIRTUAL TABLE passages USING fts5(title, headings, text, tokenize='{_TOKENIZER}')"
        )
        self._db.executemany(
            "INSERT INTO passages (rowid, title, headings, text) VALUES (?, ?, ?, ?)",
            (
                (number, passage.title, " ".join(passage.headings), passage.text)
                for number, passage in enumerate(self._passages)
            ),
        )
        self._db.execute("INSERT INTO passages (passages) VALUES ('optimize')")
        self._db.commit()

    def __len__(self) -> int:
        return len(self._passages)

    def search(self, expression: str, limit: int) -> list[Passage] | None:
        """The best `limit` passages for an FTS5 MATCH expression, best first; None once closed."""
        with self._lock:
            if self._closed:
                return None
            rows = self._db.execute(
                "SELECT rowid FROM passages WHERE passages MATCH ? ORDER BY bm25(passages, ?, ?, ?) LIMIT ?",
                (expression, TITLE_WEIGHT, HEADINGS_WEIGHT, TEXT_WEIGHT, limit),
            ).fetchall()
        return [self._passages[number] for (number,) in rows]

    def close(self) -> None:
        """Free the database; a search running now finishes first, later ones get None."""
        with self._lock:
            self._closed = True
            self._db.close()
