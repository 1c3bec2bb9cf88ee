"""The built-in retriever: SQLite FTS5 over the Markdown and text files of a folder.

The index is built in a background thread, so start-up and answers never wait for the disk or the
build: until the first build is done, a search says at once that the knowledge base is not ready. After
that a search looks whether files changed, at most once every `refresh_interval` seconds and also in the
background, and a changed folder is indexed again while searches go on against the old index, which the
new one then replaces. Searches themselves run in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

from answers.tools import SourcePassage

from .fts5_index import Fts5Index
from .knowledge_files import Listing, list_files, read_passages
from .passages import Passage
from .plain_text import shorten
from .query import match_expression
from .retriever import RetrieverUnavailable

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 10.0
"""How often, at most, a search looks for changed files: a listing of the folder, no reading."""
NAME_CHARS = 80
"""A citation's name is at most this long: Teams shows no more."""


class Fts5Retriever:
    """Full-text search, ranked by BM25, over the documents of one folder."""

    def __init__(
        self,
        directory: Path,
        *,
        base_url: str = "",
        refresh_interval: float = REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._directory = directory
        self._base_url = base_url
        self._refresh_interval = refresh_interval
        self._clock = clock
        # One builder thread: builds and checks run one at a time, in the order asked.
        self._builder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="knowledge-index")
        self._index: Fts5Index | None = None
        self._swap = threading.Lock()  # replacing the index, against closing the retriever meanwhile
        self._listing: Listing | None = None
        self._failure = ""
        self._first_build: Future[bool] | None = None
        self._check: Future[bool] | None = None
        self._next_check = 0.0
        self._closed = False

    @property
    def ready(self) -> bool:
        """Whether searches answer: the first build is done."""
        return self._index is not None

    def report(self) -> dict[str, object]:
        """How the knowledge base stands, for /readyz: an operator sees whether searches answer."""
        index = self._index
        if index is not None:
            return {"ready": True, "passages": len(index), "folder": str(self._directory)}
        return {"ready": False, "reason": self._failure or "indexing", "folder": str(self._directory)}

    def start(self) -> None:
        """Begin the first build in the background; returns at once, and only the first call counts."""
        self._started()

    async def wait_ready(self) -> None:
        """Wait for the first build to end (it may have failed: then `ready` stays False)."""
        await asyncio.wrap_future(self._started())

    async def refresh(self) -> bool:
        """Look for changed files now, after any check already under way; True if that rebuilt the index."""
        self.start()
        return await asyncio.wrap_future(self._builder.submit(self._update))

    async def search(self, query: str, limit: int) -> list[SourcePassage]:
        """The best passages for `query`; raises `RetrieverUnavailable` until the first build is done."""
        if self._closed:
            raise RetrieverUnavailable("the knowledge base is shut down")
        self.start()
        self._check_when_due()
        if self._index is None:
            raise RetrieverUnavailable(self._failure or "the knowledge base is still being indexed")
        expression = match_expression(query)
        if expression is None or limit < 1:
            return []
        passages = await asyncio.to_thread(self._search, expression, limit)
        return [self._source(passage) for passage in passages]

    def close(self) -> None:
        """Stop: no more builds or checks (one under way finishes in its thread), the index freed."""
        self._builder.shutdown(wait=False, cancel_futures=True)
        with self._swap:
            self._closed = True
            index, self._index = self._index, None
        if index is not None:
            index.close()

    def _started(self) -> Future[bool]:
        """The first build, begun if it was not."""
        if self._first_build is None:
            self._first_build = self._builder.submit(self._update)
            self._next_check = self._clock() + self._refresh_interval
        return self._first_build

    def _check_when_due(self) -> None:
        """Have the builder look for changed files, unless it did lately or is still at it."""
        now = self._clock()
        if now < self._next_check or (self._check is not None and not self._check.done()):
            return
        self._next_check = now + self._refresh_interval
        self._check = self._builder.submit(self._update)

    def _search(self, expression: str, limit: int) -> list[Passage]:
        """In a worker thread: search the current index, again in its successor if it was just replaced."""
        while (index := self._index) is not None:
            found = index.search(expression, limit)
            if found is not None:
                return found
        return []

    def _update(self) -> bool:
        """In the builder thread: index the folder again if its files changed; True if it did."""
        try:
            listing = list_files(self._directory)
            if listing == self._listing:
                return False
            started = time.perf_counter()
            index = Fts5Index(read_passages(self._directory, listing))
        except Exception:
            logger.exception("knowledge: indexing %s failed", self._directory)
            self._failure = "the knowledge base could not be indexed (the bot's log says why)"
            return False
        with self._swap:
            if self._closed:
                index.close()
                return False
            previous, self._index, self._listing = self._index, index, listing
        if previous is not None:
            previous.close()
        if not listing and not self._directory.is_dir():
            logger.warning("knowledge: %s is not a folder; the knowledge base is empty", self._directory)
        logger.info(
            "knowledge: indexed %d passages from %d files in %s (%.2f s)",
            len(index),
            len(listing),
            self._directory,
            time.perf_counter() - started,
        )
        return True

    def _source(self, passage: Passage) -> SourcePassage:
        """A passage as a source the answer may cite: its document and heading, its text, its link."""
        name = f"{passage.title}: {passage.heading}" if passage.heading else passage.title
        url = None
        if self._base_url:
            anchor = f"#{passage.anchor}" if passage.anchor else ""
            url = f"{self._base_url.rstrip('/')}/{quote(passage.path)}{anchor}"
        return SourcePassage(name=shorten(name, NAME_CHARS), passage=passage.text, url=url)
