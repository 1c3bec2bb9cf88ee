"""create_storage: one setting picks the backend; SQLite by default (bad settings: tests/test_config.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import (
    AzureBlobStorage,
    InMemoryStorage,
    RedisStorage,
    SqliteStorage,
    StorageSettings,
    create_storage,
)
from tests.storage.services import AZURITE_ACCOUNT, AZURITE_KEY

# Nothing listens there; constructing a Blob storage does not connect.
BLOB = (
    f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
    f"BlobEndpoint=http://127.0.0.1:9/{AZURITE_ACCOUNT};"
)


async def test_the_default_is_a_sqlite_file_under_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    storage = create_storage(StorageSettings())
    try:
        assert isinstance(storage, SqliteStorage)
        await storage.write({"k": {"n": 1}})
    finally:
        await storage.close()
    assert (tmp_path / "data" / "bot-state.sqlite3").is_file()


@pytest.mark.parametrize(
    ("settings", "kind"),
    [
        (StorageSettings(kind="memory"), InMemoryStorage),
        (StorageSettings(kind="redis", redis_url="redis://127.0.0.1:9/0"), RedisStorage),
        (StorageSettings(kind="blob", blob_connection_string=BLOB), AzureBlobStorage),
    ],
    ids=["memory", "redis", "blob"],
)
async def test_the_kind_picks_the_backend(settings: StorageSettings, kind: type) -> None:
    storage = create_storage(settings)
    try:
        assert type(storage) is kind
    finally:
        await storage.close()
