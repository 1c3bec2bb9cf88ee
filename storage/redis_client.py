"""A Redis connection opened the way every part of the bot that uses Redis needs it.

Each wait is bounded (`timeout`), and a call on a pooled connection that Redis has closed meanwhile
(Redis restarted, or dropped idle clients) is tried once more on a new connection, instead of failing
the first call after Redis is back. A Redis that is down still fails at once: connecting is refused.
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff


def redis_client(url: str, *, timeout: float) -> Redis:
    """A client of the Redis at `url` (string replies), each wait at most `timeout` seconds."""
    return Redis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=Retry(NoBackoff(), 1),
    )


def redis_address(client: Redis) -> str:
    """Where `client` connects, for messages: host and port (or socket path), never the URL's password."""
    where = client.connection_pool.connection_kwargs
    return str(where.get("path") or f"{where.get('host')}:{where.get('port')}")
