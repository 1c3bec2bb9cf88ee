"""Durable storage in a local SQLite file (the default), as a botbuilder `Storage`."""

from __future__ import annotations

from .base import RowStorage
from .sqlite_rows import SqliteRows


class SqliteStorage(SqliteRows, RowStorage):
    """`SqliteRows` behind the botbuilder `Storage` contract."""
