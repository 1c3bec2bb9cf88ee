"""What our storages share: a `close()` for shutdown, and the SDK contract over rows of (eTag, JSON)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from botbuilder.core import Storage

from .items import decode, encode, expected_etag, new_etag, stamp_etag


class ClosableStorage(Storage, ABC):
    """A botbuilder `Storage` that the host closes at shutdown to release its connections."""

    @abstractmethod
    async def close(self) -> None:
        """Release the backend's connections; the storage is not used afterwards."""


class Row(NamedTuple):
    """One item to write: its key, the eTag it must match (None: overwrite), its new eTag, its JSON."""

    key: str
    expected: str | None
    etag: str
    value: str


class RowStorage(ClosableStorage):
    """The botbuilder `Storage` contract for a backend that keeps (eTag, JSON text) per key.

    A backend implements three primitives; a write of several items is all or nothing.
    """

    async def read(self, keys: list[str]) -> dict[str, object]:
        """Items by key; a key with no item is left out."""
        if not keys:
            return {}
        rows = await self._read_rows(list(keys))
        return {key: decode(value, etag) for key, (etag, value) in rows.items()}

    async def write(self, changes: Mapping[str, object]) -> None:
        """Save items; raises `StorageConflictError`, and writes none, if any item's eTag is stale.

        Each item written carries its new eTag afterwards (`stamp_etag`).
        """
        if changes is None:
            raise ValueError("storage write: changes are required")
        rows = [Row(key, expected_etag(item), new_etag(), encode(item)) for key, item in changes.items()]
        if rows:
            await self._write_rows(rows)
        for row, item in zip(rows, changes.values(), strict=True):
            stamp_etag(item, row.etag)

    async def delete(self, keys: Iterable[str]) -> None:
        """Remove items; a missing key is not an error (BotState passes a set)."""
        keys = list(keys)
        if keys:
            await self._delete_rows(keys)

    @abstractmethod
    async def _read_rows(self, keys: list[str]) -> dict[str, tuple[str, str]]:
        """(eTag, JSON) of each stored key."""

    @abstractmethod
    async def _write_rows(self, rows: list[Row]) -> None:
        """Check every row's expected eTag, then store them all, atomically."""

    @abstractmethod
    async def _delete_rows(self, keys: list[str]) -> None:
        """Remove the keys that exist."""
