"""The storage the bot uses, chosen by one setting, `STORAGE`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, assert_never

from .base import ClosableStorage
from .memory_storage import InMemoryStorage
from .sqlite_storage import SqliteStorage

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


def create_storage(settings: StorageSettings) -> ClosableStorage:
    """The storage `settings.kind` names (config.py has checked that it has what it needs)."""
    if settings.kind == "memory":
        return InMemoryStorage()
    if settings.kind == "sqlite":
        return SqliteStorage(settings.sqlite_path)
    if settings.kind == "redis":
        from .redis_storage import RedisStorage  # loaded only when used: see storage/__init__.py

        return RedisStorage(settings.redis_url, key_prefix=settings.redis_key_prefix)
    if settings.kind == "blob":
        from .blob_storage import AzureBlobStorage  # loaded only when used: see storage/__init__.py

        return AzureBlobStorage(settings.blob_connection_string, settings.blob_container)
    assert_never(settings.kind)
