"""Durable storage in a local SQLite file: the default, so `python app.py` keeps conversations."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import TypeVar

from .errors import StorageUnavailableError
from .items import check_etag
from .rows import Row, RowStore

T = TypeVar("T")

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS bot_state (key TEXT PRIMARY KEY, etag TEXT NOT NULL, value TEXT NOT NULL)"
)
WAL_SWITCH_RETRY = 0.01  # seconds between tries to switch a new file to WAL mode
_UPSERT = (
    "INSERT INTO bot_state (key, etag, value) VALUES (?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, value = excluded.value"
)


class SqliteRows(RowStore):
    """State in one SQLite file in WAL mode, shared safely by the processes of one machine.

    Calls run on one worker thread of this storage's own, off the event loop, over one connection
    that lives on that thread (a connection per call would make every close checkpoint the WAL).
    A write checks eTags and stores inside one `BEGIN IMMEDIATE` transaction, which holds the
    file's write lock, so two processes cannot both pass the check. After a failure the connection
    is dropped and the next call opens a new one.
    """

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 5.0) -> None:
        self._path = Path(path)
        self._busy_timeout = busy_timeout
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-storage")
        self._conn: sqlite3.Connection | None = None  # Touched only on self._thread.

    async def _read_rows(self, keys: list[str]) -> dict[str, tuple[str, str]]:
        def read(conn: sqlite3.Connection) -> dict[str, tuple[str, str]]:
            marks = ",".join("?" * len(keys))
            query = f"SELECT key, etag, value FROM bot_state WHERE key IN ({marks})"
            return {key: (etag, value) for key, etag, value in conn.execute(query, keys)}

        return await self._run(read)

    async def _write_rows(self, rows: list[Row]) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for row in rows:
                    if row.expected is not None:
                        found = conn.execute("SELECT etag FROM bot_state WHERE key = ?", (row.key,))
                        current = found.fetchone()
                        check_etag(row.key, row.expected, current[0] if current else None)
                    conn.execute(_UPSERT, (row.key, row.etag, row.value))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

        await self._run(write)

    async def _delete_rows(self, keys: list[str]) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            conn.execute(f"DELETE FROM bot_state WHERE key IN ({','.join('?' * len(keys))})", keys)

        await self._run(delete)

    async def close(self) -> None:
        """Close the connection and end the worker thread."""
        await asyncio.get_running_loop().run_in_executor(self._thread, self._disconnect)
        self._thread.shutdown()

    async def _run(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        """Run `operation` on the worker thread; driver failures become `StorageUnavailableError`."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._run_on_thread, operation)

    def _run_on_thread(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        try:
            if self._conn is None:
                self._conn = self._connect()
            return operation(self._conn)
        except (sqlite3.Error, OSError) as error:
            self._disconnect()
            raise StorageUnavailableError(f"SQLite storage at {self._path} failed: {error}") from error

    def _connect(self) -> sqlite3.Connection:
        """Open the file in autocommit mode (transactions are explicit), creating folder and table."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self._path, timeout=self._busy_timeout, isolation_level=None)
        try:
            self._use_wal(conn)
            # In WAL mode NORMAL never corrupts the file and keeps every commit through a crash of
            # the bot; only an OS crash or power loss may undo the last ones. FULL would wait for
            # the disk on every commit, about ten times longer, on the one thread all saves share.
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(_SCHEMA)
        except BaseException:
            conn.close()
            raise
        return conn

    def _use_wal(self, conn: sqlite3.Connection) -> None:
        """Switch the file to WAL mode (it stays so), waiting out other processes doing the same.

        SQLite answers "database is locked" at once, without its busy timeout, when two connections
        switch a new file's journal mode together: two bots starting on one fresh file did, and a
        user's first message failed.
        """
        give_up_at = time.monotonic() + self._busy_timeout
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() >= give_up_at:
                    raise
                time.sleep(WAL_SWITCH_RETRY)

    def _disconnect(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with suppress(sqlite3.Error):
                conn.close()
