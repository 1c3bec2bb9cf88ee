"""Conversation references: kept on every turn (install and welcome check the store), dropped when
the bot is removed, shared by instances through the state storage, and cheap on ordinary turns."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from proactive import ConversationReferences, Reference
from proactive.references import RECHECK_SECONDS, SHARDS, shard_key
from storage import SqliteStorage
from tests.conftest import StartBot
from tests.proactive.api import (
    NOTIFY_ENV,
    conversation_event,
    finished_job,
    install,
    job_record,
    notify,
    references_saved,
    results,
    sent_to,
)
from tests.support.activities import BOT, user_message
from tests.support.bot import BotClient
from tests.support.connector import RecordingConnector


async def reachable(bot: BotClient, conversation_id: str) -> bool:
    """Whether the bot has a reference for `conversation_id` (a notification to it is accepted), once
    the references the turns so far offered are written."""
    await references_saved(bot)
    status, answer = await notify(bot, {"conversations": [conversation_id], "text": "Ping."})
    assert status in (202, 400), answer
    if status == 202:
        await finished_job(bot, answer["job"])
    return status == 202


async def test_a_users_message_keeps_the_reference_the_sdk_builds(
    start_bot: StartBot, model_env: dict[str, str], connector: RecordingConnector
) -> None:
    bot = await start_bot({**model_env, **NOTIFY_ENV})
    message = user_message(
        "Hello", connector.url, conversation_id="conv-chat", sender={"id": "u-7", "name": "Ana"}
    )
    message["locale"] = "pt-PT"
    await bot.post_activity(message)
    await bot.answers_done()
    await references_saved(bot)

    _, record = await notify(bot, {"conversations": ["conv-chat"], "text": "News."})
    assert results(await finished_job(bot, record["job"])) == {"conv-chat": {"status": "sent"}}
    notification = sent_to(connector, "conv-chat")[-1].activity
    assert notification["recipient"] == {"id": "u-7", "name": "Ana"}
    assert notification["from"] == BOT
    assert notification["conversation"] == {"id": "conv-chat", "conversationType": "personal"}
    assert (notification["channelId"], notification["serviceUrl"], notification["locale"]) == (
        "msteams",
        connector.url,
        "pt-PT",
    )
    assert "replyToId" not in notification


@pytest.mark.parametrize(
    "welcome",
    [
        {"kind": "installationUpdate", "action": "add"},
        {"kind": "installationUpdate", "action": "add-upgrade"},
        {"kind": "conversationUpdate", "added": ["user-1", "bot-1"]},
        {"kind": "conversationUpdate", "added": ["bot-1"], "conversation_type": "groupChat"},
    ],
)
async def test_install_and_welcome_events_add_the_conversation(
    start_bot: StartBot, connector: RecordingConnector, welcome: dict[str, Any]
) -> None:
    bot = await start_bot(NOTIFY_ENV)
    assert not await reachable(bot, "conv-new")
    await bot.post_activity(
        conversation_event(service_url=connector.url, conversation_id="conv-new", **welcome)
    )
    assert await reachable(bot, "conv-new")


@pytest.mark.parametrize(
    ("removal", "removed"),
    [
        ({"kind": "installationUpdate", "action": "remove"}, True),
        ({"kind": "installationUpdate", "action": "remove-upgrade"}, True),
        ({"kind": "conversationUpdate", "removed": ["bot-1"], "conversation_type": "groupChat"}, True),
        ({"kind": "conversationUpdate", "removed": ["user-2"], "conversation_type": "groupChat"}, False),
    ],
)
async def test_the_bot_leaving_drops_the_conversation_and_someone_else_leaving_does_not(
    start_bot: StartBot, connector: RecordingConnector, removal: dict[str, Any], removed: bool
) -> None:
    bot = await start_bot(NOTIFY_ENV)
    await install(bot, connector, "conv-x")
    status, _ = await bot.post_activity(
        conversation_event(service_url=connector.url, conversation_id="conv-x", **removal)
    )
    assert status == 201
    assert await reachable(bot, "conv-x") is not removed
    if removed:  # installed again: the install adds it back, whatever this instance remembered
        await install(bot, connector, "conv-x")
        assert await reachable(bot, "conv-x")


async def test_instances_share_references_and_jobs_through_the_storage(
    start_bot: StartBot, connector: RecordingConnector, tmp_path: Path
) -> None:
    shared = {**NOTIFY_ENV, "STORAGE": "sqlite", "SQLITE_PATH": str(tmp_path / "bot-state.sqlite3")}
    first = await start_bot(shared)
    second = await start_bot(shared)  # another instance (or the first one after a restart)
    await install(first, connector, "conv-a")

    status, record = await notify(second, {"all": True, "text": "From the other instance."})
    assert status == 202
    await finished_job(second, record["job"])
    status, seen_elsewhere = await job_record(first, record["job"])

    assert status == 200 and seen_elsewhere["state"] == "finished"
    assert results(seen_elsewhere) == {"conv-a": {"status": "sent"}}
    assert sent_to(connector, "conv-a")[-1].activity["text"] == "From the other instance."


class CountingStorage(SqliteStorage):
    """A real SQLite storage that counts its reads and writes."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.reads = self.writes = 0

    async def read(self, keys: list[str]) -> dict[str, object]:
        self.reads += 1
        return await super().read(keys)

    async def write(self, changes: Mapping[str, object]) -> None:
        self.writes += 1
        await super().write(changes)


class HeldStorage(SqliteStorage):
    """A real SQLite storage whose writes wait until the test lets them through."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.writing = asyncio.Event()
        """Set once a write has started (and waits for `gate`)."""
        self.gate = asyncio.Event()

    async def write(self, changes: Mapping[str, object]) -> None:
        self.writing.set()
        await self.gate.wait()
        await super().write(changes)


@pytest.fixture
async def sqlite_path(tmp_path: Path) -> AsyncIterator[str]:
    yield str(tmp_path / "references.sqlite3")


def offer(
    references: ConversationReferences,
    conversation_id: str,
    reference: Reference,
    *,
    check_store: bool = False,
) -> None:
    """Offer `reference` as a turn does, its JSON text standing for what it is made of."""
    identity = json.dumps(reference, sort_keys=True)
    references.keep(conversation_id, identity, lambda: reference, check_store=check_store)


async def keep(
    references: ConversationReferences,
    conversation_id: str,
    reference: Reference,
    *,
    check_store: bool = False,
) -> None:
    """Offer `reference` and wait until it is written."""
    offer(references, conversation_id, reference, check_store=check_store)
    await references.wait_idle()


async def test_an_ordinary_turn_touches_the_storage_only_when_the_reference_is_new_changed_or_due(
    sqlite_path: str,
) -> None:
    storage = CountingStorage(sqlite_path)
    now = [0.0]
    references = ConversationReferences(storage, clock=lambda: now[0])
    reference = {"channelId": "msteams", "conversation": {"id": "c"}, "serviceUrl": "https://a.example"}
    try:
        await keep(references, "c", reference)
        assert (storage.reads, storage.writes) == (1, 1)
        await keep(references, "c", dict(reference))
        assert (storage.reads, storage.writes) == (1, 1)  # nothing new: no storage at all

        await keep(references, "c", {**reference, "serviceUrl": "https://b.example"})
        assert (storage.reads, storage.writes) == (2, 2)
        await keep(references, "c", {**reference, "serviceUrl": "https://b.example"}, check_store=True)
        assert (storage.reads, storage.writes) == (3, 2)  # checked: stored as it is

        now[0] += RECHECK_SECONDS
        await keep(references, "c", {**reference, "serviceUrl": "https://b.example"})
        assert (storage.reads, storage.writes) == (4, 2)
        assert await references.find(["c", "d"]) == {"c": {**reference, "serviceUrl": "https://b.example"}}
    finally:
        await storage.close()


async def test_a_known_reference_is_not_even_built(sqlite_path: str) -> None:
    storage = SqliteStorage(sqlite_path)
    references = ConversationReferences(storage)
    built: list[str] = []

    def build(conversation_id: str) -> Reference:
        built.append(conversation_id)
        return {"conversation": {"id": conversation_id}}

    try:
        for identity in ("a", "a", "b", "b"):
            references.keep("c", identity, lambda: build("c"))
        await references.wait_idle()
        assert built == ["c", "c"]  # the first offer, and the one that changed
    finally:
        await storage.close()


async def test_a_removal_after_a_keep_wins_whether_the_keep_is_written_yet_or_not(sqlite_path: str) -> None:
    storage = HeldStorage(sqlite_path)
    references = ConversationReferences(storage)
    reference = {"conversation": {"id": "c"}}
    try:
        offer(references, "c", reference)
        removed = asyncio.create_task(references.remove("c"))  # queued behind the keep's write
        await storage.writing.wait()
        offer(references, "c", reference)  # the bot is back: a keep after the removal
        references.remove_soon("c")
        storage.gate.set()
        await removed
        await references.wait_idle()
        assert await references.find(["c"]) == {}

        await keep(references, "c", reference)  # removed: this instance no longer takes it as stored
        assert await references.find(["c"]) == {"c": reference}
    finally:
        await storage.close()


async def test_a_keep_under_way_when_a_removal_comes_is_not_remembered_as_stored(sqlite_path: str) -> None:
    storage = HeldStorage(sqlite_path)
    references = ConversationReferences(storage)
    reference = {"conversation": {"id": "c"}}
    try:
        offer(references, "c", reference)
        await storage.writing.wait()  # the keep's write is under way
        references.remove_soon("c")
        storage.gate.set()
        await references.wait_idle()
        assert await references.find(["c"]) == {}
        await keep(references, "c", reference)
        assert await references.find(["c"]) == {"c": reference}
    finally:
        await storage.close()


async def test_flush_waits_for_the_pending_references(sqlite_path: str) -> None:
    storage = HeldStorage(sqlite_path)
    references = ConversationReferences(storage)
    try:
        offer(references, "first", {"conversation": {"id": "first"}})
        await storage.writing.wait()
        offer(references, "second", {"conversation": {"id": "second"}})  # waits behind, or its own item
        flushed = asyncio.create_task(references.flush(timeout_seconds=60))
        await asyncio.sleep(0)  # one turn of the loop: flush is waiting
        assert not flushed.done()
        storage.gate.set()
        await flushed
        assert sorted(await references.all()) == ["first", "second"]
    finally:
        await storage.close()


async def test_a_flush_that_runs_out_of_time_gives_the_writes_up_with_a_warning(
    sqlite_path: str, caplog: pytest.LogCaptureFixture
) -> None:
    storage = HeldStorage(sqlite_path)
    references = ConversationReferences(storage)
    try:
        offer(references, "c", {"conversation": {"id": "c"}})
        await storage.writing.wait()
        await references.flush(timeout_seconds=0.01)
        await references.wait_idle()  # nothing left under way
        assert "did not finish within" in caplog.text
        assert await references.find(["c"]) == {}
    finally:
        await storage.close()


async def test_instances_saving_at_once_lose_no_conversation(sqlite_path: str) -> None:
    stores = [SqliteStorage(sqlite_path), SqliteStorage(sqlite_path)]
    instances = [ConversationReferences(storage) for storage in stores]
    ids = [f"conv-{number}" for number in range(4 * SHARDS)]  # several per item: they collide
    try:
        for number, conversation_id in enumerate(ids):
            offer(instances[number % 2], conversation_id, {"conversation": {"id": conversation_id}})
        await asyncio.gather(*(instance.wait_idle() for instance in instances))
        assert len({shard_key(conversation_id) for conversation_id in ids}) == SHARDS
        stored = await ConversationReferences(stores[0]).all()
        assert sorted(stored) == sorted(ids)
        await asyncio.gather(*(instances[1].remove(conversation_id) for conversation_id in ids[::2]))
        assert sorted(await instances[0].all()) == sorted(ids[1::2])
    finally:
        for storage in stores:
            await storage.close()


async def test_many_new_conversations_at_once_share_their_items_writes(sqlite_path: str) -> None:
    """A burst of new conversations (a load peak) must not race one another for the same items: each
    item's changes wait for its write under way and go out together, with no conflict to retry."""
    storage = CountingStorage(sqlite_path)
    references = ConversationReferences(storage)
    ids = [f"burst-{number}" for number in range(16 * SHARDS)]
    try:
        for conversation_id in ids:
            offer(references, conversation_id, {"conversation": {"id": conversation_id}})
        await references.wait_idle()
        assert sorted(await references.all()) == sorted(ids)
        # At most two writes per item: the first change, then all that queued behind it.
        assert storage.writes <= 2 * SHARDS, storage.writes
    finally:
        await storage.close()


async def test_ids_and_references_are_kept_exactly_whatever_they_hold(sqlite_path: str) -> None:
    storage = SqliteStorage(sqlite_path)
    try:
        odd = {
            "py/object": "os.system",
            "py/reduce": [1],
            "user": {"id": "py/id", "properties": {"py/tuple": 1}},
        }
        await keep(ConversationReferences(storage), "py/reduce", odd)
        assert await ConversationReferences(storage).find(["py/reduce"]) == {"py/reduce": odd}
    finally:
        await storage.close()
