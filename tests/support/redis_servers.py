"""Redis for the tests: the machine's shared server (each test under a key prefix of its own), and
private `redis-server`s that a test may stop and start again without touching anyone else's."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Self

import redis

from benchmarks.serving import LOOPBACK, free_port
from tests.support.processes import StartedInWith, missing, running

SHARED_REDIS_URL = "redis://127.0.0.1:6379/0"
HOW_TO_GET_REDIS = (
    "The tests use the Redis server on 127.0.0.1:6379; start one with "
    "`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no` "
    "(Debian package redis-server)."
)


def shared_redis_ready() -> bool:
    """Whether the machine's Redis answers a PING on 127.0.0.1:6379."""
    client = redis.Redis.from_url(SHARED_REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except redis.exceptions.RedisError:
        return False
    finally:
        client.close()


def delete_keys(url: str, prefix: str) -> None:
    """Remove every key a test wrote under its own prefix."""
    with redis.Redis.from_url(url) as client:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)


@contextmanager
def shared_redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own on the shared Redis; its keys are deleted afterwards."""
    if not shared_redis_ready():
        missing("Redis on 127.0.0.1:6379", HOW_TO_GET_REDIS)
    prefix = f"test-{uuid.uuid4().hex}:"
    try:
        yield prefix
    finally:
        delete_keys(SHARED_REDIS_URL, prefix)


class PrivateRedis(StartedInWith):
    """A `redis-server` of this test's own on a free loopback port, keeping nothing on disk.

    `stop` and `start` take it down and bring it back, empty, on the same port: a Redis outage that
    touches no other test (the machine's shared Redis is never stopped). `with` starts and stops it.
    """

    def __init__(self, workdir: Path) -> None:
        if shutil.which("redis-server") is None:
            missing("redis-server", "Install Debian's redis-server package.")
        self.port = free_port()
        self.url = f"redis://{LOOPBACK}:{self.port}/0"
        self._workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self._server = ExitStack()

    def start(self) -> Self:
        """Start the server and wait until it accepts connections."""
        argv = ["redis-server", "--port", str(self.port), "--bind", LOOPBACK]
        argv += ["--save", "", "--appendonly", "no"]
        self._server.enter_context(running(argv, r"Ready to accept connections", self._workdir))
        return self

    def stop(self) -> None:
        """Stop the server (SIGTERM to its process group); idempotent."""
        self._server.close()
