"""The SDK-free contract of our storage backends: rows of (eTag, JSON text) per key.

Each backend implements three primitives and `close`; a face per SDK (storage/base.py for
botbuilder, agents_host/storage.py for the Agents SDK) turns them into that SDK's `Storage`. Nothing
here, nor in the backends, imports an SDK.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import NamedTuple


class Row(NamedTuple):
    """One item to write: its key, the eTag it must match (None: overwrite), its new eTag, its JSON."""

    key: str
    expected: str | None
    etag: str
    value: str


class RowStore(ABC):
    """A backend that keeps (eTag, JSON text) per key; a write of several rows is all or nothing."""

    @abstractmethod
    async def _read_rows(self, keys: list[str]) -> dict[str, tuple[str, str]]:
        """(eTag, JSON) of each stored key."""

    @abstractmethod
    async def _write_rows(self, rows: list[Row]) -> None:
        """Check every row's expected eTag (`check_etag`), then store them all, atomically."""

    @abstractmethod
    async def _delete_rows(self, keys: list[str]) -> None:
        """Remove the keys that exist."""

    @abstractmethod
    async def close(self) -> None:
        """Release the backend's connections; the store is not used afterwards."""
