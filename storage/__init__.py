"""Where the bot keeps conversation and user state: memory, SQLite (default), Azure Blob or Redis.

The Azure Blob and Redis backends load when first used: their client libraries take a good part of
the start-up, and redis-py imports OpenTelemetry whenever it is installed, which a bot that exports
no telemetry should not pay for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .base import ClosableStorage
from .errors import StorageConflictError, StorageUnavailableError
from .factory import STORAGE_KINDS, StorageKind, StorageSettings, create_storage
from .memory_storage import InMemoryStorage
from .retry import save_with_retry
from .sqlite_storage import SqliteStorage

if TYPE_CHECKING:
    from .blob_storage import AzureBlobStorage
    from .redis_storage import RedisStorage

_ON_FIRST_USE = {"AzureBlobStorage": ".blob_storage", "RedisStorage": ".redis_storage"}


def __getattr__(name: str) -> Any:
    """`AzureBlobStorage` and `RedisStorage`, imported on first use."""
    if name not in _ON_FIRST_USE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_ON_FIRST_USE[name], __name__), name)


__all__ = [
    "STORAGE_KINDS",
    "AzureBlobStorage",
    "ClosableStorage",
    "InMemoryStorage",
    "RedisStorage",
    "SqliteStorage",
    "StorageConflictError",
    "StorageKind",
    "StorageSettings",
    "StorageUnavailableError",
    "create_storage",
    "save_with_retry",
]
