"""Durable storage in a local SQLite file: the default, so `python app.py` keeps conversations."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import suppress
from pathlib import Path
from typing import NamedTuple, cast

from .batch_plan import Call, Group, plan_batch
from .coalescing_thread import CoalescingThread, Outcome
from .errors import StorageConflictError, StorageUnavailableError
from .items import check_etag
from .rows import Row, RowStore

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS bot_state (key TEXT PRIMARY KEY, etag TEXT NOT NULL, value TEXT NOT NULL)"
)
WAL_SWITCH_RETRY = 0.01  # seconds between tries to switch a new file to WAL mode
_UPSERT = (
    "INSERT INTO bot_state (key, etag, value) VALUES (?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, value = excluded.value"
)

Rows = dict[str, tuple[str, str]]
"""(eTag, JSON) by key: what a read returns."""


class _Read(NamedTuple):
    """A call to read `keys`."""

    keys: list[str]


class _Write(NamedTuple):
    """A call to write `rows`, all or none."""

    rows: list[Row]


class _Delete(NamedTuple):
    """A call to delete `keys`."""

    keys: list[str]


_Op = _Read | _Write | _Delete


class SqliteRows(RowStore):
    """State in one SQLite file in WAL mode, shared safely by the processes of one machine.

    Calls run on one worker thread of this storage's own, off the event loop, over one connection
    that lives on that thread (a connection per call would make every close checkpoint the WAL).
    The calls queued while the thread is busy run together when it is free (`CoalescingThread`):
    their reads as one `SELECT`, their writes and deletes in one `BEGIN IMMEDIATE` transaction,
    which holds the file's write lock, so two processes cannot both pass an eTag check. A write whose
    eTag check fails fails alone; a failure of the transaction fails every call in it. After a
    failure the connection is dropped and the next batch opens a new one.
    """

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 5.0) -> None:
        self._path = Path(path)
        self._busy_timeout = busy_timeout
        self._thread: CoalescingThread[_Op, Rows | None] = CoalescingThread(
            self._run_batch, name="sqlite-storage"
        )
        self._conn: sqlite3.Connection | None = None  # Touched only on self._thread.

    @property
    def batches(self) -> int:
        """How many batches of calls the worker thread has run (each is one hop to it)."""
        return self._thread.batches

    async def _read_rows(self, keys: list[str]) -> Rows:
        return cast(Rows, await self._thread.call(_Read(keys)))

    async def _write_rows(self, rows: list[Row]) -> None:
        await self._thread.call(_Write(rows))

    async def _delete_rows(self, keys: list[str]) -> None:
        await self._thread.call(_Delete(keys))

    async def close(self) -> None:
        """Close the connection and end the worker thread."""
        await self._thread.close(self._disconnect)

    def _run_batch(self, ops: Sequence[_Op]) -> list[Outcome[Rows | None]]:
        """On the thread: each op's outcome; driver failures become `StorageUnavailableError`."""
        outcomes: dict[int, Outcome[Rows | None]] = {}
        try:
            if self._conn is None:
                self._conn = self._connect()
            calls = [Call(isinstance(op, _Read), _keys(op)) for op in ops]
            for group in plan_batch(calls):
                run = _read_group if group.reads else _change_group
                run(self._conn, group, ops, outcomes)
        except Exception as error:
            # The calls not yet done fail with it: each gets its own exception, raised in its own task.
            if isinstance(error, (sqlite3.Error, OSError)):
                self._disconnect()
            for index in range(len(ops)):
                if index not in outcomes:
                    outcomes[index] = self._failure(error)
        return [outcomes[index] for index in range(len(ops))]

    def _failure(self, error: Exception) -> Exception:
        """What a call that `error` stopped raises: a driver failure as `StorageUnavailableError`."""
        if not isinstance(error, (sqlite3.Error, OSError)):
            return error
        failure = StorageUnavailableError(f"SQLite storage at {self._path} failed: {error}")
        failure.__cause__ = error
        return failure

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


def _keys(op: _Op) -> list[str]:
    """The keys `op` reads or changes."""
    return [row.key for row in op.rows] if isinstance(op, _Write) else op.keys


def _read_group(
    conn: sqlite3.Connection, group: Group, ops: Sequence[_Op], outcomes: dict[int, Outcome[Rows | None]]
) -> None:
    """Every read of the group in one `SELECT` (one per chunk of keys); each gets its own keys' rows."""
    keys = list(dict.fromkeys(key for index in group.calls for key in _keys(ops[index])))
    chunks = list(_chunks(conn, keys))
    found: Rows = {}
    if len(chunks) > 1:
        conn.execute("BEGIN")  # One snapshot for all the chunks, as a single SELECT would see.
    for chunk in chunks:
        query = f"SELECT key, etag, value FROM bot_state WHERE key IN ({_marks(chunk)})"
        found.update((key, (etag, value)) for key, etag, value in conn.execute(query, chunk))
    if conn.in_transaction:
        conn.execute("COMMIT")
    for index in group.calls:
        outcomes[index] = {key: found[key] for key in _keys(ops[index]) if key in found}


def _change_group(
    conn: sqlite3.Connection, group: Group, ops: Sequence[_Op], outcomes: dict[int, Outcome[Rows | None]]
) -> None:
    """Every write and delete of the group in one transaction; a write whose eTag is stale fails alone.

    A write checks all its rows before it stores any, so a conflict leaves nothing of it to undo and
    needs no savepoint; the transaction's other calls still commit.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        for index in group.calls:
            op = ops[index]
            try:
                if isinstance(op, _Write):
                    _write(conn, op.rows)
                else:
                    for chunk in _chunks(conn, op.keys):
                        conn.execute(f"DELETE FROM bot_state WHERE key IN ({_marks(chunk)})", chunk)
                outcomes[index] = None
            except StorageConflictError as conflict:
                outcomes[index] = conflict
        conn.execute("COMMIT")
    except BaseException:
        for index in group.calls:
            outcomes.pop(index, None)  # Nothing of the transaction was stored: none of its calls is done.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _write(conn: sqlite3.Connection, rows: list[Row]) -> None:
    """Check every row's expected eTag, then store them all (raises `StorageConflictError` first)."""
    for row in rows:
        if row.expected is not None:
            current = conn.execute("SELECT etag FROM bot_state WHERE key = ?", (row.key,)).fetchone()
            check_etag(row.key, row.expected, current[0] if current else None)
    conn.executemany(_UPSERT, [(row.key, row.etag, row.value) for row in rows])


def _chunks(conn: sqlite3.Connection, keys: list[str]) -> Iterator[list[str]]:
    """`keys` in runs short enough for one statement's variables (SQLite limits their number)."""
    size = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    for start in range(0, len(keys), size):
        yield keys[start : start + size]


def _marks(keys: list[str]) -> str:
    """The `?` placeholders of an `IN (...)` list of `keys`."""
    return ",".join("?" * len(keys))
