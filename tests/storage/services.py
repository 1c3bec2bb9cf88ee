"""The real servers the storage tests use: the shared Redis, a private redis-server, and Azurite."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest
import redis

from tests.support.processes import ManagedProcess

HERE = Path(__file__).parent
AZURITE = HERE / "node_modules" / ".bin" / "azurite-blob"
SHARED_REDIS_URL = "redis://127.0.0.1:6379/0"

# Azurite's fixed development account (public, documented by Microsoft; not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def missing(service: str, how_to_get_it: str) -> NoReturn:
    """A needed service is not here: fail in CI (CI=true), where it must be; skip elsewhere."""
    message = f"{service} is not available. {how_to_get_it}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI needs it: {message}", pytrace=False)
    pytest.skip(message)


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
def running(argv: list[str], ready: str, workdir: Path, timeout: float = 30.0) -> Iterator[re.Match[str]]:
    """Run a server in `workdir` until the block ends; yield the match of `ready` in its output once up."""
    name = Path(argv[0]).name
    # A log of this start only: a server started again must not look ready from its last run's lines.
    log = Path(tempfile.mkstemp(prefix=f"{name}-", suffix=".log", dir=workdir)[1])
    process = ManagedProcess(name, log)

    def ready_line() -> re.Match[str] | None:
        return re.search(ready, process.output())

    process.spawn(argv, cwd=workdir, env=os.environ)
    try:
        process.wait_until(lambda: ready_line() is not None, timeout=timeout, what=repr(ready))
        match = ready_line()
        assert match is not None
        yield match
    finally:
        process.stop()


@contextmanager
def azurite(workdir: Path) -> Iterator[str]:
    """Azurite's Blob service on a free loopback port, in memory; yields its connection string."""
    if not AZURITE.exists():
        missing("Azurite (npm package azurite)", "Install it with: npm ci --prefix tests/storage")
    argv = [
        str(AZURITE),
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        "0",
        "--inMemoryPersistence",
        "--silent",
        "--disableTelemetry",  # Else it sends usage data out.
        # azure-storage-blob 12.7.0 (pinned by botbuilder-azure) sends x-ms-encryption-algorithm on
        # every upload; Azure ignores it, strict Azurite refuses it.
        "--loose",
    ]
    with running(argv, r"listens on http://127\.0\.0\.1:(\d+)", workdir) as ready:
        endpoint = f"http://127.0.0.1:{ready.group(1)}/{AZURITE_ACCOUNT}"
        yield (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
            f"AccountKey={AZURITE_KEY};BlobEndpoint={endpoint};"
        )


@contextmanager
def redis_server(port: int, workdir: Path) -> Iterator[str]:
    """A private redis-server on 127.0.0.1:`port`, keeping nothing on disk; yields its URL."""
    if shutil.which("redis-server") is None:
        missing("redis-server", "Install Debian's redis-server package.")
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with running(argv, r"Ready to accept connections", workdir):
        yield f"redis://127.0.0.1:{port}/0"
