"""How a stored item carries its eTag and becomes JSON, the same way for every backend of ours.

The SDK's storages read an item's eTag from the dict key `e_tag` or the attribute `e_tag`; `*` or no
eTag means "overwrite", an empty one is an error, and any other value must match the stored item's.
Values are flattened with jsonpickle as the SDK's `CosmosDbPartitionedStorage` does, so SDK objects in
state (`DialogState`, `DialogInstance`, prompt options, activities) come back as the same classes. An
object whose class this environment cannot import (botbuilder's `DialogState` read by the Agents SDK
host, which has no botbuilder) comes back as a `ForeignObject` and is written back as it was stored,
so that either host can save a conversation's state without breaking it for the other.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from jsonpickle import handlers, tags
from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler

from .errors import StorageConflictError

# The eTag a write carries to say "create this item; fail if it exists". A concurrent first save of
# a new conversation's state then conflicts instead of silently overwriting the other one.
CREATE_ONLY = "create-only"


def item_etag(item: object) -> str | None:
    """The eTag an item carries, from the key or attribute `e_tag` as the SDK's storages read it."""
    etag = item.get("e_tag") if isinstance(item, dict) else getattr(item, "e_tag", None)
    return None if etag is None else str(etag)


def expected_etag(item: object) -> str | None:
    """The eTag a write must match: None to overwrite (no eTag or `*`), else the item's eTag."""
    etag = item_etag(item)
    if etag == "":
        raise ValueError("storage write: the item's e_tag is empty; use '*' to overwrite")
    return None if etag in (None, "*") else etag


def stamp_etag(item: object, etag: str) -> None:
    """After a write: the written item carries its new eTag, where the SDK's storages read it.

    The next save of the same state (later in the turn, or in the answer's turn it is handed to)
    then matches the stored eTag without reading the item again. Only items written with an eTag
    to match are stamped: one written to overwrite (no eTag, or "*") stays as its writer made it.
    """
    if expected_etag(item) is None:
        return
    if isinstance(item, dict):
        item["e_tag"] = etag
    elif hasattr(item, "e_tag"):
        item.e_tag = etag


def check_etag(key: str, expected: str | None, current: str | None) -> None:
    """Refuse a write whose expected eTag does not match the stored one (`current`; None if absent)."""
    if expected is None:
        return
    if expected == CREATE_ONLY:
        if current is not None:
            raise StorageConflictError(key, f"eTag conflict on {key!r}: it was created by another writer")
    elif expected != current:
        found = "it does not exist" if current is None else f"it now has eTag {current!r}"
        raise StorageConflictError(key, f"eTag conflict on {key!r}: the write expected {expected!r}, {found}")


def new_etag() -> str:
    """A fresh eTag; random, so a deleted and re-created item never matches an eTag read before."""
    return uuid.uuid4().hex


class FlatItem:
    """A state dict written with the jsonpickle flattening its writer already made of it.

    A state save flattens the state once, to tell whether it changed (botbuilder's state hash is that
    flattening as text) and to store it; a storage that takes a `FlatItem` stores `flat` as it would
    have stored `state` (see `FlatItemStorage`). Its eTag is the state's: storages read and stamp it
    through the attribute `e_tag`, so the state carries its new eTag after the write.
    """

    __slots__ = ("flat", "state")

    def __init__(self, state: dict[str, object], flat: dict[str, object]) -> None:
        self.state = state
        self.flat = flat

    @property
    def e_tag(self) -> object:
        """The state's eTag."""
        return self.state.get("e_tag")

    @e_tag.setter
    def e_tag(self, etag: str) -> None:
        self.state["e_tag"] = etag


def encode(item: object) -> str:
    """The item as JSON text, without its eTag (the backend keeps that beside the value)."""
    flat = dict(item.flat) if isinstance(item, FlatItem) else Pickler().flatten(item)
    if not isinstance(flat, dict):
        raise TypeError(f"storage write: an item must be a dict or an object, got {type(item).__name__}")
    flat.pop("e_tag", None)
    return json.dumps(flat, separators=(",", ":"))


def decode(text: str, etag: str) -> object:
    """The item stored as `text`, with its current eTag under `e_tag`."""
    flat = json.loads(text)
    flat["e_tag"] = etag
    # safe=True: never eval() a stored `py/repr`.
    return _keep_foreign(Unpickler(safe=True).restore(flat))


class ForeignObject(dict[str, Any]):
    """A stored object of a class this environment cannot import, as its stored JSON (`py/object` too).

    jsonpickle restores such an object as that JSON, but flattening it again drops its `py/object`
    tag, and the other environment would then read a plain dict; this keeps the tag.
    """


class _ForeignObjectHandler(handlers.BaseHandler):
    """Writes a `ForeignObject` back as the JSON it was read from."""

    def flatten(self, obj: ForeignObject, data: dict[str, Any]) -> dict[str, Any]:
        return dict(obj)

    def restore(self, data: dict[str, Any]) -> object:  # never called: stored under its own class
        return ForeignObject(data)


handlers.register(ForeignObject, _ForeignObjectHandler)


def _keep_foreign(value: object) -> object:
    """`value` with each object jsonpickle could not restore (a dict still tagged) as a `ForeignObject`."""
    if isinstance(value, dict):
        if tags.OBJECT in value:
            return ForeignObject(value)
        for key, item in value.items():
            value[key] = _keep_foreign(item)
    elif isinstance(value, list):
        value[:] = [_keep_foreign(item) for item in value]
    return value
