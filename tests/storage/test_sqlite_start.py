"""Several processes (or storages) opening one new SQLite file at the same moment all get going."""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage import SqliteStorage

ROUNDS = 30
OPENERS = 8


async def test_storages_opening_a_new_file_together_all_succeed(tmp_path: Path) -> None:
    # Switching a new file to WAL mode together used to fail one of them with "database is locked"
    # (about one in forty rounds here), and with it a user's first message.
    for round_number in range(ROUNDS):
        path = tmp_path / f"round-{round_number}" / "state.sqlite3"
        storages = [SqliteStorage(path) for _ in range(OPENERS)]
        try:
            await asyncio.gather(*(storage.write({f"k{n}": {"n": n}}) for n, storage in enumerate(storages)))
            items = await storages[0].read([f"k{n}" for n in range(OPENERS)])
        finally:
            await asyncio.gather(*(storage.close() for storage in storages))
        assert sorted(items) == sorted(f"k{n}" for n in range(OPENERS))
