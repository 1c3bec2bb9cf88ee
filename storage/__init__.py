"""Where the bot keeps conversation and user state: memory, SQLite (default), Azure Blob or Redis.

The backends are SDK-free stores of (eTag, JSON) rows (`RowStore`, storage/rows.py); each SDK has a
face that makes them its `Storage` (storage/base.py for botbuilder). Names load on first use, so
that the SDK-free modules import without botbuilder, and so that the Azure Blob and Redis client
libraries, a good part of the start-up, load only when used (redis-py imports OpenTelemetry whenever
it is installed, which a bot that exports no telemetry should not pay for).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from on_first_use import attributes_on_first_use

from .errors import StorageConflictError, StorageUnavailableError
from .row_stores import STORAGE_KINDS, StorageKind, StorageSettings, create_row_store
from .rows import Row, RowStore

if TYPE_CHECKING:
    from .base import ClosableStorage
    from .blob_storage import AzureBlobStorage
    from .factory import create_storage
    from .memory_storage import InMemoryStorage
    from .redis_storage import RedisStorage
    from .retry import save_with_retry
    from .sqlite_storage import SqliteStorage

_ON_FIRST_USE = {
    "AzureBlobStorage": ".blob_storage",
    "ClosableStorage": ".base",
    "InMemoryStorage": ".memory_storage",
    "RedisStorage": ".redis_storage",
    "SqliteStorage": ".sqlite_storage",
    "create_storage": ".factory",
    "save_with_retry": ".retry",
}


__getattr__ = attributes_on_first_use(__name__, _ON_FIRST_USE)


__all__ = [
    "STORAGE_KINDS",
    "AzureBlobStorage",
    "ClosableStorage",
    "InMemoryStorage",
    "RedisStorage",
    "Row",
    "RowStore",
    "SqliteStorage",
    "StorageConflictError",
    "StorageKind",
    "StorageSettings",
    "StorageUnavailableError",
    "create_row_store",
    "create_storage",
    "save_with_retry",
]
