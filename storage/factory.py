"""The botbuilder storage the bot uses, chosen by one setting, `STORAGE`."""

from __future__ import annotations

from typing import assert_never

from .base import ClosableStorage
from .memory_storage import InMemoryStorage
from .row_stores import StorageSettings
from .sqlite_storage import SqliteStorage


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
