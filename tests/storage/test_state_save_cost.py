"""save_with_retry flattens the state once per save, writes only a changed state, and stores what
`BotState.save_changes` stores, byte for byte."""

from __future__ import annotations

from pathlib import Path

from botbuilder.core import ConversationState, MemoryStorage, MessageFactory, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import DialogInstance, DialogState
from botbuilder.dialogs.prompts import PromptOptions

from storage import AzureBlobStorage, ClosableStorage, Row, SqliteStorage, save_with_retry
from storage.items import CREATE_ONLY, ForeignObject
from tests.storage.turns import CONVERSATION_KEY, turn_context, user_message


class Counted:
    """A state value that counts jsonpickle's passes over the state: each pass calls `__getstate__`."""

    passes = 0

    def __init__(self, name: str) -> None:
        self.name = name

    def __getstate__(self) -> dict[str, str]:
        Counted.passes += 1
        return {"name": self.name}

    def __setstate__(self, state: dict[str, str]) -> None:
        self.name = state["name"]


class WriteRecordingStorage(SqliteStorage):
    """SQLite storage that keeps the rows of every write asked of it, refused ones included."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.writes: list[list[Row]] = []

    async def _write_rows(self, rows: list[Row]) -> None:
        self.writes.append(list(rows))
        await super()._write_rows(rows)


def no_merge(fresh: dict[str, object]) -> None:
    """A turn whose change is already in the state it saves."""


def conversation_turn(conversation_id: str) -> TurnContext:
    return TurnContext(TestAdapter(), user_message("hi", conversation_id))


def rich_state() -> dict[str, object]:
    """State with what ours holds: SDK objects, a value referenced twice, non-ASCII text, a foreign object."""
    shared = {"role": "user", "content": 'héllo ✓ "quoted"\n'}
    return {
        "DialogState": DialogState(
            [
                DialogInstance(
                    "name",
                    {"options": PromptOptions(prompt=MessageFactory.text("Name?")), "values": {}},
                )
            ]
        ),
        "history": [shared, shared, {"role": "assistant", "content": "a", "outcome": "complete"}],
        "profile": {"language": "en"},
        "elsewhere": ForeignObject({"py/object": "elsewhere.Thing", "x": 1}),
    }


async def stored_text(storage: ClosableStorage, key: str) -> str:
    """The text the backend holds for `key`, as stored."""
    if isinstance(storage, AzureBlobStorage):
        download = await storage._container.get_blob_client(key).download_blob()
        return (await download.readall()).decode()
    ((_, text),) = (await storage._read_rows([key])).values()
    return text


async def save_as_before(state: ConversationState, context: TurnContext) -> None:
    """What save_with_retry did before it flattened the state itself: the SDK's `save_changes`."""
    cached = state.get_cached_state(context)
    cached.state["e_tag"] = cached.state.get("e_tag") or CREATE_ONLY
    await state.save_changes(context)


async def test_a_save_flattens_the_state_once(tmp_path: Path) -> None:
    state = ConversationState(SqliteStorage(tmp_path / "state.sqlite3"))
    context = turn_context()
    await state.load(context)
    state.get(context)["value"] = Counted("one")

    Counted.passes = 0
    await save_with_retry(state, context, no_merge)
    assert Counted.passes == 1

    Counted.passes = 0
    await save_with_retry(state, context, no_merge)  # unchanged: one pass tells
    assert Counted.passes == 1

    next_turn = turn_context()
    await state.load(next_turn)
    state.get(next_turn)["value"] = Counted("two")
    Counted.passes = 0
    await save_with_retry(state, next_turn, no_merge)
    assert Counted.passes == 1

    stored = (await state._storage.read([CONVERSATION_KEY]))[CONVERSATION_KEY]
    assert stored["value"].name == "two"


async def test_an_unchanged_state_is_not_written_and_a_changed_one_once_with_its_etag(
    tmp_path: Path,
) -> None:
    storage = WriteRecordingStorage(tmp_path / "state.sqlite3")
    state = ConversationState(storage)
    first = turn_context()
    await state.load(first)
    state.get(first)["notes"] = ["a"]
    await save_with_retry(state, first, no_merge)
    [[created]] = storage.writes
    assert created.expected == CREATE_ONLY
    assert state.get(first)["e_tag"] == created.etag
    assert not state.get_cached_state(first).is_changed  # the hash is the one botbuilder computes

    second = turn_context()
    await state.load(second)
    storage.writes.clear()
    await save_with_retry(state, second, no_merge)
    assert storage.writes == []

    state.get(second)["notes"].append("b")
    await save_with_retry(state, second, no_merge)
    [[updated]] = storage.writes
    assert (updated.key, updated.expected) == (CONVERSATION_KEY, created.etag)
    stored = (await storage.read([CONVERSATION_KEY]))[CONVERSATION_KEY]
    assert state.get(second)["e_tag"] == updated.etag == stored["e_tag"]
    assert stored["notes"] == ["a", "b"]
    assert not state.get_cached_state(second).is_changed


async def test_a_merged_save_leaves_the_hash_botbuilder_computes(tmp_path: Path) -> None:
    storage = WriteRecordingStorage(tmp_path / "state.sqlite3")
    state = ConversationState(storage)
    mine, rival = turn_context(), turn_context()
    await state.load(mine)
    await state.load(rival)
    state.get(rival)["notes"] = ["rival"]
    await save_with_retry(state, rival, no_merge)
    state.get(mine)["notes"] = ["mine"]

    def add_mine(fresh: dict[str, object]) -> None:
        fresh["notes"] = [*fresh["notes"], "mine"]

    await save_with_retry(state, mine, add_mine)
    cached = state.get_cached_state(mine)
    assert cached.state["notes"] == ["rival", "mine"]
    assert cached.hash == cached.compute_hash(cached.state)
    assert cached.state["e_tag"] == storage.writes[-1][0].etag


async def test_what_is_stored_is_what_save_changes_stores(storage: ClosableStorage) -> None:
    state = ConversationState(storage)
    ours, before = conversation_turn("ours"), conversation_turn("before")
    for context in (ours, before):
        await state.load(context)
        state.get(context).update(rich_state())
    await save_with_retry(state, ours, no_merge)
    await save_as_before(state, before)
    ours_key, before_key = state.get_storage_key(ours), state.get_storage_key(before)
    assert await stored_text(storage, ours_key) == await stored_text(storage, before_key)


async def test_an_update_stores_what_save_changes_stores(tmp_path: Path) -> None:
    state = ConversationState(SqliteStorage(tmp_path / "state.sqlite3"))
    ours, before = conversation_turn("ours"), conversation_turn("before")
    for context in (ours, before):
        await state.load(context)
        state.get(context).update(rich_state())
        await save_as_before(state, context)

    ours, before = conversation_turn("ours"), conversation_turn("before")
    for context in (ours, before):
        await state.load(context)  # the stored state, its eTag last among its keys
        state.get(context)["history"].append({"role": "user", "content": "again"})
        state.get(context)["DialogState"].dialog_stack[0].state["values"]["turn"] = 2
    await save_with_retry(state, ours, no_merge)
    await save_as_before(state, before)
    ours_key, before_key = state.get_storage_key(ours), state.get_storage_key(before)
    assert await stored_text(state._storage, ours_key) == await stored_text(state._storage, before_key)
    cached = state.get_cached_state(ours)
    assert cached.hash == cached.compute_hash(cached.state)


async def test_another_storage_is_saved_by_save_changes() -> None:
    storage = MemoryStorage()  # botbuilder's: it takes no `FlatItem`
    state = ConversationState(storage)
    first = turn_context()
    await state.load(first)
    state.get(first)["notes"] = ["a"]
    await save_with_retry(state, first, no_merge)

    second = turn_context()
    await state.load(second)
    etag = state.get(second)["e_tag"]
    await save_with_retry(state, second, no_merge)
    assert (await storage.read([CONVERSATION_KEY]))[CONVERSATION_KEY]["e_tag"] == etag

    state.get(second)["notes"].append("b")
    await save_with_retry(state, second, no_merge)
    stored = (await storage.read([CONVERSATION_KEY]))[CONVERSATION_KEY]
    assert stored["notes"] == ["a", "b"]
    assert stored["e_tag"] != etag
