"""The two ways a storage call fails that callers handle: a lost eTag race, and a backend that is down."""

from __future__ import annotations


class StorageConflictError(KeyError):
    """A write's eTag no longer matches the stored item: someone else saved it first.

    A `KeyError`, like the SDK's `MemoryStorage` conflict, so SDK code that catches `KeyError` still works.
    """

    def __init__(self, key: str, message: str) -> None:
        super().__init__(key)
        self.key = key
        self.message = message

    def __str__(self) -> str:
        # KeyError's own __str__ would print only the quoted key.
        return self.message


class StorageUnavailableError(Exception):
    """The storage backend cannot be reached or used right now; the same call may work later."""
