"""The botbuilder face of our storages: the SDK's `Storage` contract over rows of (eTag, JSON)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping

from botbuilder.core import Storage

from .items import decode, encode, expected_etag, new_etag, stamp_etag
from .rows import Row, RowStore


class ClosableStorage(Storage, ABC):
    """A botbuilder `Storage` that the host closes at shutdown to release its connections."""

    @abstractmethod
    async def close(self) -> None:
        """Release the backend's connections; the storage is not used afterwards."""


class FlatItemStorage(ClosableStorage, ABC):
    """A storage whose `write` also takes a `FlatItem`, and stores its `flat` as it stores an item.

    So a state save that has flattened the state already (to compare it with botbuilder's state hash)
    is not flattened again to be written.
    """


class RowStorage(FlatItemStorage, RowStore):
    """The botbuilder `Storage` contract for a backend that keeps (eTag, JSON text) per key.

    A backend (a `RowStore`) gets this face by inheritance, backend first: `class X(XRows, RowStorage)`.
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
