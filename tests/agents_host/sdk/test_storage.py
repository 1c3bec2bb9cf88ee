"""AgentsStorage: our row stores behind the Agents SDK's Storage, eTags kept, state of both SDKs alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import ConversationState, TurnContext
from microsoft_agents.hosting.dialogs import DialogState

from agents_host.storage import AgentsStorage
from storage import StorageConflictError
from storage.memory_rows import InMemoryRows
from storage.rows import RowStore
from storage.sqlite_rows import SqliteRows
from tests.support.activities import user_message


@pytest.fixture(params=["memory", "sqlite"])
async def rows(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RowStore]:
    store = InMemoryRows() if request.param == "memory" else SqliteRows(tmp_path / "state.sqlite3")
    yield store
    await store.close()


def turn(conversation_id: str = "conv-1") -> TurnContext:
    activity = Activity.model_validate(user_message("Hi", "http://x", conversation_id=conversation_id))
    return TurnContext(object(), activity)


async def load(storage: AgentsStorage, context: TurnContext) -> ConversationState:
    state = ConversationState(storage)
    await state.load(context)
    return state


async def test_conversation_state_comes_back_in_a_later_turn(rows: RowStore) -> None:
    storage = AgentsStorage(rows)
    first = turn()
    state = await load(storage, first)
    await state.create_property("history").set(first, [{"role": "user", "content": "Hi"}])
    await state.save(first)

    later = turn()
    again = await load(storage, later)
    assert await again.create_property("history").get(later) == [{"role": "user", "content": "Hi"}]
    # The same key as botbuilder's ConversationState: one conversation's state is one row for both SDKs.
    assert list(await rows._read_rows(["msteams/conversations/conv-1"])) == ["msteams/conversations/conv-1"]


async def test_a_stale_save_is_refused_and_a_turn_can_save_twice(rows: RowStore) -> None:
    storage = AgentsStorage(rows)
    seed = turn()
    state = await load(storage, seed)
    await state.create_property("count").set(seed, 0)
    await state.save(seed)

    a, b = turn(), turn()
    state_a, state_b = await load(storage, a), await load(storage, b)
    await state_a.create_property("count").set(a, 1)
    await state_a.save(a)
    await state_a.create_property("count").set(a, 2)
    await state_a.save(a)  # carries the eTag of its own first save
    await state_b.create_property("count").set(b, 10)
    with pytest.raises(StorageConflictError):
        await state_b.save(b)  # read before a's saves

    check = turn()
    assert await (await load(storage, check)).create_property("count").get(check) == 2


async def test_dialog_state_survives_a_real_storage(rows: RowStore) -> None:
    """The dialogs keep `DialogState`, not a StoreItem, in the state: the SDK's MemoryStorage never
    serializes it; jsonpickle brings it back as the same class."""
    storage = AgentsStorage(rows)
    context = turn()
    state = await load(storage, context)
    dialog_state = DialogState()
    dialog_state.dialog_stack.append({"id": "main"})
    await state.create_property("DialogState").set(context, dialog_state)
    await state.save(context)

    later = turn()
    back = await (await load(storage, later)).create_property("DialogState").get(later)
    assert isinstance(back, DialogState)
    assert back.dialog_stack == [{"id": "main"}]


async def test_empty_key_lists_are_refused_as_the_sdk_contract_says(rows: RowStore) -> None:
    storage = AgentsStorage(rows)
    for call in (storage.read([], target_cls=DialogState), storage.write({}), storage.delete([])):
        with pytest.raises(ValueError):
            await call
