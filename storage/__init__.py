"""Where the bot keeps conversation and user state: memory, SQLite (default), Azure Blob or Redis."""

from .base import ClosableStorage
from .blob_storage import AzureBlobStorage
from .errors import StorageConflictError, StorageUnavailableError
from .factory import STORAGE_KINDS, StorageKind, StorageSettings, create_storage
from .memory_storage import InMemoryStorage
from .redis_storage import RedisStorage
from .retry import save_with_retry
from .sqlite_storage import SqliteStorage

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
