"""Storage in Redis, shared by several bot instances, as a botbuilder `Storage`."""

from __future__ import annotations

from .base import RowStorage
from .redis_rows import RedisRows


class RedisStorage(RedisRows, RowStorage):
    """`RedisRows` behind the botbuilder `Storage` contract."""
