"""Storage in Azure Blob Storage through botbuilder-azure's `BlobStorage`, with its contract made faithful.

botbuilder-azure 4.17.1's `BlobStorage` (with azure-storage-blob 12.7.0) departs from the contract in
ways this subclass corrects:
- a write with a stale eTag raises azure's `ResourceExistsError` ("The specified blob already exists",
  because the blob client reports a failed If-Match upload that way), not a `KeyError`;
- `read` drops every HTTP error, not only 404: a throttled or failing read looks like "no state", and
  the turn's next save then overwrites the real state;
- `read([])` raises, where the SDK's other storages return {};
- it reads blobs with `content_as_text`, deprecated in azure-storage-blob;
- its container client shares a transport that only a client it does not keep can close, so it can
  never be closed; and the storage client's default retries wait 15 s and more, far past a turn.
The blob format stays the SDK's, so blobs written by a plain `BlobStorage` still read back.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager

import jsonpickle
from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.storage.blob.aio import BlobClient, ContainerClient, ExponentialRetry, StorageStreamDownloader
from botbuilder.azure import BlobStorage, BlobStorageSettings
from jsonpickle.unpickler import Unpickler

from .base import FlatItemStorage
from .errors import StorageConflictError, StorageUnavailableError
from .items import CREATE_ONLY, FlatItem, expected_etag, stamp_etag


class AzureBlobStorage(BlobStorage, FlatItemStorage):
    """One blob per item in one container; a write with an eTag is an If-Match upload."""

    def __init__(self, connection_string: str, container: str) -> None:
        super().__init__(BlobStorageSettings(container_name=container, connection_string=connection_string))
        self._container_name = container
        # A container client of our own, which close() can close, with retries that fit in a turn.
        self._container = ContainerClient.from_connection_string(
            connection_string,
            container,
            retry_policy=ExponentialRetry(
                initial_backoff=0.5, increment_base=2, retry_total=2, random_jitter_range=0.2
            ),
        )
        self._BlobStorage__container_client = self._container  # BlobStorage keeps it name-mangled.

    async def read(self, keys: list[str]) -> dict[str, object]:
        """Items by key; a key with no blob is left out, any other failure raises."""
        if not keys:
            return {}
        async with self._translate_errors():
            return await super().read(keys)

    async def write(self, changes: Mapping[str, object]) -> None:
        """Upload items; a stale eTag raises `StorageConflictError`. Each blob is written on its own."""
        if changes is None:
            raise ValueError("storage write: changes are required")
        if not changes:
            return
        async with self._translate_errors():
            await self._initialize()
        for key, item in changes.items():
            await self._upload(key, item)

    async def delete(self, keys: Iterable[str]) -> None:
        """Remove blobs; a missing one is not an error."""
        async with self._translate_errors():
            await super().delete(list(keys))

    async def close(self) -> None:
        """Close the HTTP session."""
        await self._container.close()

    async def _upload(self, key: str, item: object) -> None:
        expected = expected_etag(item)
        if expected is None:
            conditions: dict[str, object] = {"overwrite": True}
        elif expected == CREATE_ONLY:
            conditions = {"overwrite": False}
        else:
            conditions = {
                "overwrite": True,
                "etag": expected,
                "match_condition": MatchConditions.IfNotModified,
            }
        blob = self._container.get_blob_client(key)
        try:
            uploaded = await blob.upload_blob(self._store_item_to_str(item), **conditions)
        except (ResourceExistsError, ResourceModifiedError, ResourceNotFoundError) as error:
            if expected is None:
                raise self._unavailable(error) from error
            found = (
                "it was created by another writer"
                if expected == CREATE_ONLY
                else "the blob changed or is gone"
            )
            message = f"eTag conflict on {key!r}: the write expected {expected!r}, {found}"
            raise StorageConflictError(key, message) from error
        except AzureError as error:
            raise self._unavailable(error) from error
        stamp_etag(item, uploaded["etag"].replace('"', ""))

    def _store_item_to_str(self, item: object) -> str:
        """The blob's text: `jsonpickle.encode(item)` as `BlobStorage` writes it, of a `FlatItem`'s `flat`."""
        if isinstance(item, FlatItem):
            return jsonpickle.json.encode(item.flat)
        return super()._store_item_to_str(item)

    async def _inner_read_blob(self, blob_client: BlobClient) -> object:
        try:
            return await super()._inner_read_blob(blob_client)
        except ResourceNotFoundError:
            raise  # BlobStorage.read skips a key on 404.
        except HttpResponseError as error:
            # Not an HttpResponseError any more, so BlobStorage.read cannot drop it.
            raise self._unavailable(error) from error

    @staticmethod
    async def _blob_to_store_item(blob: StorageStreamDownloader) -> object:
        item = json.loads(await blob.readall())
        item["e_tag"] = blob.properties.etag.replace('"', "")
        return Unpickler(safe=True).restore(item)  # safe=True: never eval() a stored `py/repr`.

    @asynccontextmanager
    async def _translate_errors(self) -> AsyncIterator[None]:
        """Turn Azure client errors into `StorageUnavailableError`."""
        try:
            yield
        except AzureError as error:
            raise self._unavailable(error) from error

    def _unavailable(self, error: AzureError) -> StorageUnavailableError:
        """Our error for an Azure one, with the first line of Azure's message (the rest is XML)."""
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        return StorageUnavailableError(
            f"Azure Blob storage (container {self._container_name!r}) failed: {reason}"
        )
