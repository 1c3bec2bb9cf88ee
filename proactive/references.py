"""The conversations the bot can notify: each one's conversation reference, kept in the state storage.

A conversation reference is what the SDK needs to speak in a conversation unasked: its channel,
service URL, conversation, bot and user (botbuilder's `ConversationReference`, in its JSON form).
They are kept in the bot's state storage, so they survive restarts and every instance sees them,
spread over `SHARDS` items by a hash of the conversation id: "every conversation" is one read of
those items, one conversation is one read, and instances that save different conversations at
once seldom touch the same item. Each item is saved with its eTag and merged again on a conflict.
Within an instance, each item has at most one write under way; the changes made meanwhile wait for
it and go out together in the next one: many new conversations at once cost one write per item, not
a race of conflicts.

Turns offer their conversation's reference (`keep`) and go on at once: the storage work happens in
the background, in the order the changes were asked for (a removal after a keep wins). Storage is
touched only when this instance has not saved that reference lately, or when it changed, and the
caller says cheaply what the reference is made of (`identity`), so an ordinary turn does not even
build it. `wait_idle` and `flush` wait for the background writes (tests; shutdown).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import random
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from storage.errors import StorageConflictError, StorageUnavailableError
from storage.items import CREATE_ONLY, item_etag

logger = logging.getLogger(__name__)

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


@dataclass(eq=False)
class _Saved:
    """What this instance saved for a conversation: the caller's identity of the reference, and when."""

    identity: object
    at: float


@dataclass(eq=False)
class _ItemWrites:
    """The changes waiting for one item's next write, and the task that writes them, in turn."""

    writer: asyncio.Task[None]
    waiting: list[tuple[Change, asyncio.Future[None]]] = field(default_factory=list)


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
        self._saved: OrderedDict[str, _Saved] = OrderedDict()
        """Conversation id -> the reference this instance saved (or is saving) for it."""
        self._writes: dict[str, _ItemWrites] = {}
        self._idle = asyncio.Event()
        self._idle.set()

    def keep(
        self,
        conversation_id: str,
        identity: object,
        reference: Callable[[], Reference],
        *,
        check_store: bool = False,
    ) -> None:
        """Save the reference `reference()` builds for `conversation_id`, unless this instance saved
        one of the same `identity` lately; both the building and the storage in the background.

        `identity` is what the reference is made of, cheap to get and compare: equal identities must
        build equal references. `check_store` looks at the storage whatever this instance remembers
        (the bot was just installed or welcomed: an earlier removal elsewhere may have dropped it).
        A storage failure is logged; the next turn offers the reference again.
        """
        now = self._clock()
        saved = self._saved.get(conversation_id)
        if (
            not check_store
            and saved is not None
            and saved.identity == identity
            and now - saved.at < RECHECK_SECONDS
        ):
            self._saved.move_to_end(conversation_id)
            return
        built = functools.cache(reference)  # in the background, once, however many conflicts

        def put(references: dict[str, Reference]) -> bool:
            if references.get(conversation_id) == built():
                return False
            references[conversation_id] = built()
            return True

        # Remembered before it is written, so the turns meanwhile do not ask for it again; forgotten
        # if the write fails.
        mine = self._saved[conversation_id] = _Saved(identity, now)
        self._saved.move_to_end(conversation_id)
        if len(self._saved) > REMEMBERED_CONVERSATIONS:
            self._saved.popitem(last=False)
        self._change(conversation_id, put).add_done_callback(
            lambda written: self._after_keep(conversation_id, mine, written)
        )

    async def remove(self, conversation_id: str) -> None:
        """Drop `conversation_id`'s reference (the bot is no longer in that conversation); after the
        changes asked for before it."""
        await self._remove(conversation_id)

    def remove_soon(self, conversation_id: str) -> None:
        """`remove`, in the background: a failure is logged."""
        self._remove(conversation_id).add_done_callback(
            lambda written: _log_failure(
                written, "could not drop conversation %s's reference: %s", conversation_id
            )
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

    async def wait_idle(self) -> None:
        """Wait until every change asked for so far is written (or has failed)."""
        await self._idle.wait()

    async def flush(self, timeout_seconds: float) -> None:
        """On shutdown, before the storage closes: wait (at most `timeout_seconds`) for the pending
        changes; those still unwritten then are given up, with a warning."""
        try:
            async with asyncio.timeout(timeout_seconds):
                await self._idle.wait()
        except TimeoutError:
            writers = [writes.writer for writes in self._writes.values()]
            logger.warning(
                "conversation references: the writes of %d items did not finish within %.0fs of "
                "shutdown; their changes are lost",
                len(writers),
                timeout_seconds,
            )
            for writer in writers:
                writer.cancel()
            await asyncio.wait(writers)

    def _remove(self, conversation_id: str) -> asyncio.Future[None]:
        self._saved.pop(conversation_id, None)
        return self._change(
            conversation_id, lambda references: references.pop(conversation_id, None) is not None
        )

    def _after_keep(self, conversation_id: str, mine: _Saved, written: asyncio.Future[None]) -> None:
        failed = _log_failure(written, "could not keep conversation %s's reference: %s", conversation_id)
        if failed and self._saved.get(conversation_id) is mine:  # not offered again since, nor removed
            del self._saved[conversation_id]

    async def _read(self, keys: set[str]) -> dict[str, Reference]:
        items = await self._storage.read(sorted(keys))
        references: dict[str, Reference] = {}
        for item in items.values():
            references.update(_references(item))
        return references

    def _change(self, conversation_id: str, change: Change) -> asyncio.Future[None]:
        """Queue `change` for the references of `conversation_id`'s item, after the changes queued
        before it; the future is done once a write saved it (or failed)."""
        key = shard_key(conversation_id)
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        writes = self._writes.get(key)
        if writes is None:
            writes = self._writes[key] = _ItemWrites(asyncio.create_task(self._write_item(key)))
            self._idle.clear()
        writes.waiting.append((change, written))
        return written

    async def _write_item(self, key: str) -> None:
        """Write item `key`'s waiting changes, a batch at a time, until none waits."""
        writes = self._writes[key]
        batch: list[tuple[Change, asyncio.Future[None]]] = []
        try:
            while writes.waiting:
                batch, writes.waiting = writes.waiting, []
                try:
                    await self._write(key, [change for change, _ in batch])
                except Exception as error:  # each change's caller hears of it
                    for _, written in batch:
                        written.set_exception(error)
                else:
                    for _, written in batch:
                        written.set_result(None)
        finally:  # cancelled on shutdown: what was not written is given up
            for _, written in [*batch, *writes.waiting]:
                written.cancel()
            del self._writes[key]
            if not self._writes:
                self._idle.set()

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


def _log_failure(written: asyncio.Future[None], message: str, conversation_id: str) -> bool:
    """Log a background change's failure (its exception retrieved): a storage's as a warning, as the
    next turn tries again; any other with its traceback. True if it failed."""
    if written.cancelled():
        return True
    error = written.exception()
    if error is None:
        return False
    if isinstance(error, StorageConflictError | StorageUnavailableError):
        logger.warning(message, conversation_id, error)
    else:
        logger.error(message, conversation_id, error, exc_info=error)
    return True


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
