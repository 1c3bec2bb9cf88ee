"""SQLite storage calls queued together run as one batch on its thread, each with its own outcome.

To queue calls for certain while the thread is busy, a second connection holds the file's write lock
(as another bot process saving would): the thread's first batch waits for it, and everything queued
meanwhile goes to the thread together once the lock is let go.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest

from storage import SqliteStorage, StorageConflictError, StorageUnavailableError

T = TypeVar("T")
CALLERS = 200


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "bot-state.sqlite3"


@pytest.fixture
async def storage(path: Path) -> AsyncIterator[SqliteStorage]:
    storage = SqliteStorage(path)
    await storage.write({"seed": {"n": 0}})  # Creates the file, so another connection can lock it.
    yield storage
    await storage.close()


@contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """The file's write lock, held by another connection until the block ends."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("COMMIT")
    finally:
        other.close()


async def queued_behind_lock(path: Path, calls: list[Awaitable[T]]) -> list[T | BaseException]:
    """Outcomes of `calls`, all queued while another connection held the write lock."""
    with write_lock(path):
        tasks = [asyncio.ensure_future(call) for call in calls]
        await asyncio.sleep(0)  # Each task runs up to its wait for the thread: every call is queued.
    return await asyncio.gather(*tasks, return_exceptions=True)


async def test_many_gathered_reads_and_writes_each_get_their_own_result(storage: SqliteStorage) -> None:
    await storage.write({f"old{n}": {"n": n} for n in range(CALLERS)})

    async def write_then_read(n: int) -> object:
        await storage.write({f"new{n}": {"n": n}})
        return await storage.read([f"new{n}", f"old{n}", "missing"])

    results = await asyncio.gather(*(write_then_read(n) for n in range(CALLERS)))

    for n, items in enumerate(results):
        assert sorted(items) == [f"new{n}", f"old{n}"]
        assert items[f"new{n}"]["n"] == n and items[f"old{n}"]["n"] == n
    assert storage.batches < 2 * CALLERS  # Some calls did share a hop.


async def test_calls_queued_together_take_one_hop(storage: SqliteStorage, path: Path) -> None:
    before = storage.batches
    writes = [storage.write({f"k{n}": {"n": n}}) for n in range(CALLERS)]
    assert await queued_behind_lock(path, writes) == [None] * CALLERS
    # The first write may have reached the thread before the others were queued: at most two hops.
    assert storage.batches - before <= 2

    before = storage.batches
    reads = [storage.read([f"k{n}"]) for n in range(CALLERS)]
    results = await queued_behind_lock(path, [storage.write({"blocker": {}}), *reads])
    assert storage.batches - before <= 2
    assert [item[f"k{n}"]["n"] for n, item in enumerate(results[1:])] == list(range(CALLERS))


async def test_a_call_sees_the_changes_queued_before_it_and_not_those_after(
    storage: SqliteStorage, path: Path
) -> None:
    await storage.write({"a": {"v": "old"}, "b": {"v": "old"}})
    before = storage.batches
    results = await queued_behind_lock(
        path,
        [
            storage.write({"blocker": {}}),
            storage.read(["a"]),
            storage.write({"a": {"v": "new"}}),
            storage.read(["a", "b"]),
            storage.delete(["b"]),
            storage.read(["b"]),
        ],
    )
    assert storage.batches - before <= 2
    _, first, _, second, _, third = results
    assert first["a"]["v"] == "old"
    assert second["a"]["v"] == "new" and second["b"]["v"] == "old"
    assert third == {}


async def test_a_stale_write_in_a_batch_fails_alone_and_its_neighbours_commit(
    storage: SqliteStorage, path: Path
) -> None:
    keys = [f"k{n}" for n in range(10)]
    await storage.write({key: {"v": "old"} for key in keys})
    items = await storage.read(keys)
    for item in items.values():
        item["v"] = "new"
    items["k5"]["e_tag"] = "stale"

    before = storage.batches
    writes = [storage.write({key: items[key]}) for key in keys[:7]]
    # One caller's write of two rows, one of them stale: neither may be stored.
    items["k8"]["e_tag"] = "stale"
    writes.append(storage.write({"k7": items["k7"], "k8": items["k8"]}))
    writes.append(storage.write({"k9": items["k9"]}))
    outcomes = await queued_behind_lock(path, writes)

    assert storage.batches - before <= 2
    failed = [n for n, outcome in enumerate(outcomes) if outcome is not None]
    assert failed == [5, 7]
    assert all(isinstance(outcomes[n], StorageConflictError) for n in failed)
    stored = await storage.read(keys)
    assert {key: item["v"] for key, item in stored.items()} == {
        key: "old" if key in ("k5", "k7", "k8") else "new" for key in keys
    }


async def test_a_failed_transaction_fails_every_write_in_it_and_the_next_one_works(
    path: Path,
) -> None:
    storage = SqliteStorage(path, busy_timeout=0.05)
    try:
        await storage.write({"seed": {}})
        with write_lock(path):  # Held past the busy timeout: the batch's transaction cannot start.
            outcomes = await asyncio.gather(
                *(storage.write({f"k{n}": {"n": n}}) for n in range(20)), return_exceptions=True
            )
        assert all(isinstance(outcome, StorageUnavailableError) for outcome in outcomes), outcomes
        assert await storage.read([f"k{n}" for n in range(20)]) == {}

        await storage.write({"k0": {"n": 0}})
        assert (await storage.read(["k0"]))["k0"]["n"] == 0
    finally:
        await storage.close()


async def test_two_connections_never_both_pass_an_etag_check(storage: SqliteStorage, path: Path) -> None:
    keys = [f"k{n}" for n in range(CALLERS)]
    await storage.write({key: {"by": "nobody"} for key in keys})
    other = SqliteStorage(path)
    try:
        mine, theirs = await storage.read(keys), await other.read(keys)
        for item in mine.values():
            item["by"] = "mine"
        for item in theirs.values():
            item["by"] = "theirs"
        outcomes = await asyncio.gather(
            *(storage.write({key: mine[key]}) for key in keys),
            *(other.write({key: theirs[key]}) for key in keys),
            return_exceptions=True,
        )
        stored = await storage.read(keys)
    finally:
        await other.close()

    for n, key in enumerate(keys):
        won = [outcome is None for outcome in (outcomes[n], outcomes[CALLERS + n])]
        assert won in ([True, False], [False, True]), (key, outcomes[n], outcomes[CALLERS + n])
        assert stored[key]["by"] == ("mine" if won[0] else "theirs")
        loser = outcomes[CALLERS + n] if won[0] else outcomes[n]
        assert isinstance(loser, StorageConflictError)


async def test_a_read_of_more_keys_than_sqlite_takes_variables_gets_its_rows(storage: SqliteStorage) -> None:
    limit = sqlite3.connect(":memory:").getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    await storage.write({"first": {"n": 1}, f"k{limit}": {"n": 2}})
    items = await storage.read(["first", *(f"k{n}" for n in range(1, limit + 1))])
    assert {key: item["n"] for key, item in items.items()} == {"first": 1, f"k{limit}": 2}
