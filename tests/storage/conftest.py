"""Fixtures: every storage backend, each on a real server where it has one, isolated per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from storage import ClosableStorage, InMemoryStorage, StorageSettings, create_storage
from tests.storage.services import azurite
from tests.support.redis_servers import SHARED_REDIS_URL, shared_redis_prefix

OpenStorage = Callable[[], ClosableStorage]


@pytest.fixture(scope="session")
def azurite_connection_string(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One Azurite for the whole run; each test gets its own container."""
    with azurite(tmp_path_factory.mktemp("azurite")) as connection_string:
        yield connection_string


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own on the shared Redis; its keys are deleted afterwards."""
    with shared_redis_prefix() as prefix:
        yield prefix


def durable_backend(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> StorageSettings:
    """The settings of a fresh, empty location for `kind`, on the real server it needs (picklable, so
    that a second process can open the same one)."""
    if kind == "sqlite":
        return StorageSettings(kind="sqlite", sqlite_path=str(tmp_path / "state" / "bot-state.sqlite3"))
    if kind == "redis":
        prefix = request.getfixturevalue("redis_prefix")
        return StorageSettings(kind="redis", redis_url=SHARED_REDIS_URL, redis_key_prefix=prefix)
    if kind == "blob":
        connection_string = request.getfixturevalue("azurite_connection_string")
        container = f"test-{uuid.uuid4().hex[:20]}"
        return StorageSettings(
            kind="blob", blob_connection_string=connection_string, blob_container=container
        )
    raise ValueError(kind)


@pytest.fixture(params=["memory", "sqlite", "redis", "blob"])
async def open_storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[OpenStorage]:
    """Opens a storage object over this test's items; call it again for a "restarted" one.

    In memory there is nothing to restart from, so it hands out the same object each time.
    """
    opened: list[ClosableStorage] = []
    if request.param == "memory":
        shared = InMemoryStorage()
        opened.append(shared)

        def open_storage() -> ClosableStorage:
            return shared

    else:
        backend = durable_backend(request.param, request, tmp_path)

        def open_storage() -> ClosableStorage:
            opened.append(create_storage(backend))
            return opened[-1]

    yield open_storage
    for storage in opened:
        await storage.close()


@pytest.fixture
def storage(open_storage: OpenStorage) -> ClosableStorage:
    """One storage object of the backend under test."""
    return open_storage()


@pytest.fixture(params=["sqlite", "redis", "blob"])
def shared_backend(request: pytest.FixtureRequest, tmp_path: Path) -> StorageSettings:
    """A durable backend that two processes can share."""
    return durable_backend(request.param, request, tmp_path)
