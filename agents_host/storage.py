"""Our storage backends as the Agents SDK's `Storage`: a thin face over an SDK-free `RowStore`.

The Agents SDK's contract differs from botbuilder's: `read(keys, *, target_cls)` rebuilds each item
with `target_cls.from_json_to_store_item`, `write` takes `StoreItem`s and saves their
`store_item_to_json()`, and all three calls refuse an empty list of keys. It has no eTags: its own
`MemoryStorage` overwrites blindly. This face keeps ours: the stored eTag comes back under `e_tag` in
the item's JSON (for `AgentState`, a key of the state dict, as in botbuilder), a write whose JSON
carries a stale one raises `StorageConflictError`, and a written `AgentState` carries its new one.
Values go through jsonpickle like botbuilder's, so the rows of both hosts have the same format, and
the dialogs' `DialogState`, which is not a `StoreItem`, survives a real storage.
"""

from __future__ import annotations

from typing import Any, TypeVar

from microsoft_agents.hosting.core.state.agent_state import CachedAgentState
from microsoft_agents.hosting.core.storage import Storage, StoreItem

from storage.items import decode, encode, expected_etag, new_etag, stamp_etag
from storage.rows import Row, RowStore

StoreItemT = TypeVar("StoreItemT", bound=StoreItem)


class AgentsStorage(Storage):
    """A `RowStore` (memory, SQLite or Redis) behind the Agents SDK's `Storage` contract."""

    def __init__(self, rows: RowStore) -> None:
        self._rows = rows

    async def read(
        self, keys: list[str], *, target_cls: type[StoreItemT], **kwargs: object
    ) -> dict[str, StoreItemT]:
        """Items by key, rebuilt as `target_cls`; a key with no item is left out."""
        if not keys:
            raise ValueError("Storage.read(): Keys are required when reading.")
        rows = await self._rows._read_rows(list(keys))
        return {
            key: target_cls.from_json_to_store_item(decode(value, etag))
            for key, (etag, value) in rows.items()
        }

    async def write(self, changes: dict[str, StoreItem]) -> None:
        """Save items; raises `StorageConflictError`, and writes none, if any item's eTag is stale."""
        if not changes:
            raise ValueError("Storage.write(): Changes are required when writing.")
        rows = await self.write_documents({key: item.store_item_to_json() for key, item in changes.items()})
        for row, item in zip(rows, changes.values(), strict=True):
            stamp_etag(_etag_holder(item), row.etag)

    async def write_documents(self, documents: dict[str, Any]) -> list[Row]:
        """Save JSON documents that are no `StoreItem` (feedback), in the rows botbuilder's storage
        writes for a dict; the rows written, with their new eTags. Same conflicts as `write`."""
        rows = [
            Row(key, expected_etag(document), new_etag(), encode(document))
            for key, document in documents.items()
        ]
        await self._rows._write_rows(rows)
        return rows

    async def delete(self, keys: list[str]) -> None:
        """Remove items; a missing key is not an error."""
        if not keys:
            raise ValueError("Storage.delete(): Keys are required when deleting.")
        await self._rows._delete_rows(list(keys))

    async def close(self) -> None:
        """Release the backend's connections."""
        await self._rows.close()


def _etag_holder(item: StoreItem) -> object:
    """Where an item keeps its eTag: an `AgentState`'s state dict, else the item (`e_tag` attribute)."""
    return item.state if isinstance(item, CachedAgentState) else item
