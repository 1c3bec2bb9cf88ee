"""In-process rows for tests and quick tries: the same contract as the durable ones, gone at exit."""

from __future__ import annotations

from .items import check_etag
from .rows import Row, RowStore


class InMemoryRows(RowStore):
    """Items in a dict of this process, kept as eTag and JSON exactly like the durable storages.

    Not the SDKs' `MemoryStorage`: botbuilder's never gives an eTag to an item first written without one
    (every `BotState` save), so racing turns overwrite each other unnoticed, and both SDKs' return the
    stored object itself, so a turn's unsaved changes show up in storage. Keeping JSON here also makes
    state that would not survive a real storage fail in tests too.
    """

    def __init__(self) -> None:
        self._rows: dict[str, tuple[str, str]] = {}

    async def _read_rows(self, keys: list[str]) -> dict[str, tuple[str, str]]:
        return {key: self._rows[key] for key in keys if key in self._rows}

    async def _write_rows(self, rows: list[Row]) -> None:
        # No await between the checks and the stores: atomic on the event loop.
        for row in rows:
            stored = self._rows.get(row.key)
            check_etag(row.key, row.expected, stored[0] if stored else None)
        for row in rows:
            self._rows[row.key] = (row.etag, row.value)

    async def _delete_rows(self, keys: list[str]) -> None:
        for key in keys:
            self._rows.pop(key, None)

    async def close(self) -> None:
        """Nothing to release."""
