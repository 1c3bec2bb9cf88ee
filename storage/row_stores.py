"""The SDK-free row store that one setting, `STORAGE`, names; each SDK's face wraps it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .memory_rows import InMemoryRows
from .rows import RowStore
from .sqlite_rows import SqliteRows

StorageKind = Literal["memory", "sqlite", "blob", "redis"]
STORAGE_KINDS: tuple[StorageKind, ...] = ("memory", "sqlite", "blob", "redis")


@dataclass(frozen=True)
class StorageSettings:
    """The storage settings, named after their environment variables; only `kind`'s own are used."""

    kind: StorageKind = "sqlite"  # STORAGE
    sqlite_path: str = "data/bot-state.sqlite3"  # SQLITE_PATH, relative to the working directory
    redis_url: str = "redis://127.0.0.1:6379/0"  # REDIS_URL
    redis_key_prefix: str = "bot-state:"  # REDIS_KEY_PREFIX
    blob_connection_string: str = ""  # BLOB_CONNECTION_STRING
    blob_container: str = "bot-state"  # BLOB_CONTAINER


def create_row_store(settings: StorageSettings) -> RowStore:
    """The SDK-free store `settings.kind` names (config.py has checked that it has what it needs).

    Azure Blob has no SDK-free store yet: its backend is botbuilder-azure's `BlobStorage`.
    """
    if settings.kind == "memory":
        return InMemoryRows()
    if settings.kind == "sqlite":
        return SqliteRows(settings.sqlite_path)
    if settings.kind == "redis":
        from .redis_rows import RedisRows  # loaded only when used: see storage/__init__.py

        return RedisRows(settings.redis_url, key_prefix=settings.redis_key_prefix)
    raise ValueError("STORAGE=blob needs botbuilder-azure: use memory, sqlite or redis on this host")
