"""In-process storage for tests and quick tries, as a botbuilder `Storage`."""

from __future__ import annotations

from .base import RowStorage
from .memory_rows import InMemoryRows


class InMemoryStorage(InMemoryRows, RowStorage):
    """`InMemoryRows` behind the botbuilder `Storage` contract."""
