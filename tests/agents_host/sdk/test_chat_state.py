"""TurnChatState: history and profile in botbuilder's rows; an exchange a racing turn saved is kept."""

from __future__ import annotations

from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import ConversationState, TurnContext, UserState

from agents_host.chat_state import TurnChatState
from agents_host.storage import AgentsStorage
from answers import HistoryEntry
from storage.memory_rows import InMemoryRows
from tests.support.activities import user_message

BUDGET = 10_000


def turn() -> TurnContext:
    activity = Activity.model_validate(user_message("Hi", "http://x", conversation_id="c1"))
    return TurnContext(object(), activity)


def exchange(question: str) -> list[HistoryEntry]:
    return [
        {"role": "user", "content": question},
        {"role": "assistant", "content": f"About {question}", "outcome": "complete"},
    ]


async def test_the_history_and_profile_are_read_from_the_rows_botbuilder_writes() -> None:
    storage = AgentsStorage(InMemoryRows())
    seed = turn()
    conversation, user = ConversationState(storage), UserState(storage)
    await conversation.create_property("history").set(seed, exchange("tides"))
    await user.create_property("profile").set(seed, {"style": "concise", "temperature": 0.2})
    await conversation.save(seed)
    await user.save(seed)

    state = TurnChatState(storage, turn(), BUDGET)
    assert await state.history() == exchange("tides")
    assert await state.profile() == {"style": "concise", "temperature": 0.2}


async def test_a_user_with_no_profile_has_none() -> None:
    assert await TurnChatState(AgentsStorage(InMemoryRows()), turn(), BUDGET).profile() is None


async def test_two_turns_saving_at_once_both_keep_their_exchange() -> None:
    storage = AgentsStorage(InMemoryRows())
    first, second = TurnChatState(storage, turn(), BUDGET), TurnChatState(storage, turn(), BUDGET)
    assert await first.history() == await second.history() == []  # both read before either saves
    await first.add_to_history(exchange("tides"))
    await first.add_to_history(exchange("moons"))  # a turn can save twice (it holds its new eTag)
    await second.add_to_history(exchange("stars"))  # refused once (stale eTag), then added to the fresh one

    saved = await TurnChatState(storage, turn(), BUDGET).history()
    assert saved == [*exchange("tides"), *exchange("moons"), *exchange("stars")]


async def test_the_saved_history_is_trimmed_to_its_budget() -> None:
    storage = AgentsStorage(InMemoryRows())
    state = TurnChatState(storage, turn(), len("moons") + len("About moons"))
    await state.add_to_history(exchange("tides"))
    await state.add_to_history(exchange("moons"))
    assert await TurnChatState(storage, turn(), BUDGET).history() == exchange("moons")
