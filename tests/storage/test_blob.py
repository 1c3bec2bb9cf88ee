"""What AzureBlobStorage corrects in botbuilder-azure's BlobStorage, checked against Azurite."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from azure.storage.blob.aio import ContainerClient
from botbuilder.azure import BlobStorage, BlobStorageSettings

from storage import AzureBlobStorage, StorageConflictError, StorageUnavailableError


@asynccontextmanager
async def sdk_blob_storage(connection_string: str, name: str) -> AsyncIterator[BlobStorage]:
    """botbuilder-azure's own BlobStorage, given a container client the test can close (its own cannot)."""
    plain = BlobStorage(BlobStorageSettings(container_name=name, connection_string=connection_string))
    async with ContainerClient.from_connection_string(connection_string, name) as client:
        plain._BlobStorage__container_client = client
        yield plain


@pytest.fixture
async def container(azurite_connection_string: str) -> AsyncIterator[tuple[str, str]]:
    """A fresh container's (connection string, name); removed afterwards."""
    name = f"test-{uuid.uuid4().hex[:20]}"
    yield azurite_connection_string, name
    async with ContainerClient.from_connection_string(azurite_connection_string, name) as client:
        await client.delete_container()


async def test_a_failed_read_is_an_error_not_missing_state(container: tuple[str, str]) -> None:
    connection_string, name = container
    ours = AzureBlobStorage(connection_string, name)
    try:
        await ours.write({"k": {"n": 1}})
        async with ContainerClient.from_connection_string(connection_string, name) as client:
            await client.get_blob_client("k").set_standard_blob_tier("Archive")  # Reads now get a 409.

        # The SDK's BlobStorage reports the item as missing; a turn would start over and overwrite it.
        async with sdk_blob_storage(connection_string, name) as plain:
            assert await plain.read(["k"]) == {}
        with pytest.raises(StorageUnavailableError, match="archived blob"):
            await ours.read(["k"])
    finally:
        await ours.close()


async def test_blobs_of_the_sdk_blob_storage_read_back_and_keep_their_etag(
    container: tuple[str, str],
) -> None:
    connection_string, name = container
    ours = AzureBlobStorage(connection_string, name)
    try:
        async with sdk_blob_storage(connection_string, name) as plain:
            await plain.write({"k": {"history": ["hello"]}})
            item = (await ours.read(["k"]))["k"]
            assert item["history"] == ["hello"]
            await plain.write({"k": {"history": ["changed"], "e_tag": "*"}})
        with pytest.raises(StorageConflictError):
            await ours.write({"k": item})
    finally:
        await ours.close()
