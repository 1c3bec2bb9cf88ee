"""Storage in Redis, for several bot instances behind a load balancer sharing one store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .errors import StorageUnavailableError
from .items import CREATE_ONLY, check_etag
from .rows import Row, RowStore

# Checks every key's eTag, then stores them all: one script, so atomic in Redis.
# ARGV[1] is the create-only marker; then per key: expected eTag ('' to overwrite), new eTag, value.
# A key that already holds this write's new eTag was written by this very call before a dropped reply
# made the client send it again: that is success, not a conflict.
_CHECK_AND_SET = """
for i, key in ipairs(KEYS) do
  local expected, new = ARGV[3 * i - 1], ARGV[3 * i]
  if expected ~= '' then
    local current = redis.call('HGET', key, 'etag')
    local ok
    if expected == ARGV[1] then ok = not current else ok = current == expected end
    if not ok and current ~= new then return {i, current or ''} end
  end
end
for i, key in ipairs(KEYS) do
  redis.call('HSET', key, 'etag', ARGV[3 * i], 'value', ARGV[3 * i + 1])
end
return {0, ''}
"""


MAX_CONNECTIONS = 100
"""Connections a client opens to Redis at most; more calls at once wait for one (within the timeout)."""


def redis_client(url: str, *, timeout: float) -> Redis:
    """A client for `url` (strings in, strings out) whose calls fail after `timeout` seconds.

    Its pool waits for a free connection when all `MAX_CONNECTIONS` are busy: redis-py's default pool
    refuses the call instead ("Too many connections"), which hundreds of turns at once would meet.
    The wait has no limit of its own (a timer per call costs CPU): every call on a busy connection
    ends within `timeout`. A pooled connection that Redis closed (it restarted) is reconnected once,
    at once: `from_url` retries nothing by default, so the first call on each would fail.
    """
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=None,
        decode_responses=True,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=Retry(NoBackoff(), 1, (RedisConnectionError,)),
    )
    return Redis.from_pool(pool)


class RedisRows(RowStore):
    """Each item is a Redis hash {etag, value} under `key_prefix` + key; writes check eTags in Lua."""

    def __init__(self, url: str, *, key_prefix: str = "bot-state:", timeout: float = 5.0) -> None:
        self._prefix = key_prefix
        self._redis = redis_client(url, timeout=timeout)
        self._check_and_set = self._redis.register_script(_CHECK_AND_SET)
        # Where, for messages: host and port only, never the URL's password.
        where = self._redis.connection_pool.connection_kwargs
        self._where = where.get("path") or f"{where.get('host')}:{where.get('port')}"

    async def _read_rows(self, keys: list[str]) -> dict[str, tuple[str, str]]:
        async with self._translate_errors(), self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hmget(self._prefix + key, "etag", "value")
            found = await pipe.execute()
        return {
            key: (etag, value) for key, (etag, value) in zip(keys, found, strict=True) if etag is not None
        }

    async def _write_rows(self, rows: list[Row]) -> None:
        args = [CREATE_ONLY]
        for row in rows:
            args += [row.expected or "", row.etag, row.value]
        async with self._translate_errors():
            index, current = await self._check_and_set(
                keys=[self._prefix + row.key for row in rows], args=args
            )
        if index:
            row = rows[index - 1]
            check_etag(row.key, row.expected, current or None)  # Raises: the script found this eTag stale.

    async def _delete_rows(self, keys: list[str]) -> None:
        async with self._translate_errors():
            await self._redis.delete(*(self._prefix + key for key in keys))

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()

    @asynccontextmanager
    async def _translate_errors(self) -> AsyncIterator[None]:
        """Turn "cannot reach Redis" into `StorageUnavailableError`; the pool reconnects on the next call."""
        try:
            yield
        except (RedisConnectionError, RedisTimeoutError) as error:
            raise StorageUnavailableError(
                f"Redis storage at {self._where} is unavailable: {error}"
            ) from error
