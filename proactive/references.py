"""The conversations the bot can notify: each one's conversation reference, kept in the state storage.

A conversation reference is what the SDK needs to speak in a conversation unasked: its channel,
service URL, conversation, bot and user (botbuilder's `ConversationReference`, in its JSON form).
They are kept in the bot's state storage, so they survive restarts and every instance sees them,
spread over `SHARDS` items by a hash of the conversation id: "every conversation" is one read of
those items, one conversation is one read, and instances that save different conversations at
once seldom touch the same item. Each item is saved with its eTag and merged again on a conflict.
Within an instance, the changes to one item wait for its write under way and then go out together in
the next one: many new conversations at once cost one write per item, not a race of conflicts.

Every turn offers its conversation's reference (`keep`), but storage is touched only when this
instance has not checked that reference lately, or when it changed: a turn costs nothing here.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from storage.errors import StorageConflictError
from storage.items import CREATE_ONLY, item_etag

Reference = dict[str, Any]
"""A conversation reference in its JSON form (camelCase, as the Bot Framework writes it)."""

SHARDS = 64
"""Items the references are spread over. Fixed: a conversation's item is found by hashing its id."""
SHARD_KEY = "notifications/conversations/{:02d}"
RECHECK_SECONDS = 600.0
"""How long this instance trusts that a reference it saved is still stored. Another instance may
drop it (the bot was removed there); a later turn then saves it again."""
REMEMBERED_CONVERSATIONS = 10_000
"""Conversations whose saved reference this instance remembers; the least recently seen go first."""
UPDATE_ATTEMPTS = 10
CONFLICT_BACKOFF = 0.005  # seconds, times the attempt number, at most, before merging again


Change = Callable[[dict[str, Reference]], bool]
"""Changes an item's references in place; True if it changed any."""


class _ItemWrites:
    """The changes waiting for one item's next write, and the lock its writes take turns by."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.waiting: list[tuple[Change, asyncio.Future[None]]] = []


class ItemStorage(Protocol):
    """The state storage, as far as keeping references goes (botbuilder's `Storage` is one)."""

    async def read(self, keys: list[str]) -> dict[str, object]: ...

    async def write(self, changes: dict[str, object]) -> None: ...


def shard_key(conversation_id: str) -> str:
    """The storage key of the item that holds `conversation_id`'s reference (a stable hash, not `hash`)."""
    return SHARD_KEY.format(zlib.crc32(conversation_id.encode("utf-8")) % SHARDS)


class ConversationReferences:
    """The references of the conversations the bot is in, by conversation id."""

    def __init__(self, storage: ItemStorage, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._storage = storage
        self._clock = clock
        self._checked: OrderedDict[str, tuple[str, float]] = OrderedDict()
        """Conversation id -> (its reference as saved, in JSON; when this instance saved or checked it)."""
        self._writes: dict[str, _ItemWrites] = {}

    async def keep(self, conversation_id: str, reference: Reference, *, check_store: bool = False) -> None:
        """Save `reference` for `conversation_id`, unless this instance knows it is stored already.

        `check_store` looks at the storage whatever this instance remembers (the bot was just
        installed or welcomed: an earlier removal elsewhere may have dropped the reference).
        """
        text = _json(reference)
        now = self._clock()
        checked = self._checked.get(conversation_id)
        if (
            not check_store
            and checked is not None
            and checked[0] == text
            and now - checked[1] < RECHECK_SECONDS
        ):
            self._checked.move_to_end(conversation_id)
            return

        def put(references: dict[str, Reference]) -> bool:
            if references.get(conversation_id) == reference:
                return False
            references[conversation_id] = reference
            return True

        await self._update(conversation_id, put)
        self._checked[conversation_id] = (text, now)
        self._checked.move_to_end(conversation_id)
        if len(self._checked) > REMEMBERED_CONVERSATIONS:
            self._checked.popitem(last=False)

    async def remove(self, conversation_id: str) -> None:
        """Drop `conversation_id`'s reference: the bot is no longer in that conversation."""
        self._checked.pop(conversation_id, None)
        await self._update(
            conversation_id, lambda references: references.pop(conversation_id, None) is not None
        )

    async def find(self, conversation_ids: Iterable[str]) -> dict[str, Reference]:
        """The stored references of those of `conversation_ids` that have one."""
        wanted = set(conversation_ids)
        stored = await self._read({shard_key(conversation_id) for conversation_id in wanted})
        return {
            conversation_id: stored[conversation_id]
            for conversation_id in wanted
            if conversation_id in stored
        }

    async def all(self) -> dict[str, Reference]:
        """Every stored reference."""
        return await self._read({SHARD_KEY.format(shard) for shard in range(SHARDS)})

    async def _read(self, keys: set[str]) -> dict[str, Reference]:
        items = await self._storage.read(sorted(keys))
        references: dict[str, Reference] = {}
        for item in items.values():
            references.update(_references(item))
        return references

    async def _update(self, conversation_id: str, change: Change) -> None:
        """Apply `change` to the references of `conversation_id`'s item and save it, together with the
        changes other turns of this instance made to that item meanwhile."""
        key = shard_key(conversation_id)
        writes = self._writes.setdefault(key, _ItemWrites())
        applied: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        writes.waiting.append((change, applied))
        async with writes.lock:
            if applied.done():  # The write before this one took it along.
                applied.result()
                return
            batch, writes.waiting = writes.waiting, []
            try:
                await self._write(key, [change for change, _ in batch])
            except BaseException as error:
                for _, other in batch:
                    if other is not applied:
                        other.set_exception(error)
                raise
            for _, other in batch:
                if other is not applied:
                    other.set_result(None)
        if not writes.waiting and not writes.lock.locked():
            self._writes.pop(key, None)

    async def _write(self, key: str, changes: list[Change]) -> None:
        """Apply `changes` to the references in item `key` and save it, if any changed something; on an
        eTag conflict (another instance saved it), read the item again and apply them again."""
        for attempt in range(1, UPDATE_ATTEMPTS + 1):
            item = (await self._storage.read([key])).get(key)
            references = _references(item)
            changed = [change(references) for change in changes]
            if not any(changed):
                return
            etag = item_etag(item) if item is not None else CREATE_ONLY
            try:
                await self._storage.write({key: {"references": _json(references), "e_tag": etag}})
                return
            except StorageConflictError:
                if attempt == UPDATE_ATTEMPTS:
                    raise
            # A short random pause, growing with each conflict, so that racing instances drift apart.
            await asyncio.sleep(random.uniform(0, CONFLICT_BACKOFF * attempt))


def _references(item: object) -> dict[str, Reference]:
    """The references a stored item holds.

    They are kept as JSON text, not as a JSON object: the storage's jsonpickle takes `py/…` keys
    anywhere in an item for its own tags (it drops them on the way in), and the ids and references
    come from the channel, which may put anything in them.
    """
    if not isinstance(item, dict) or not isinstance(item.get("references"), str):
        return {}
    references = json.loads(item["references"])
    return references if isinstance(references, dict) else {}


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
