"""TurnStateSaver: when two turns of one conversation race to save, each one's change survives.

Both turns load the same state, then save in turn; the second save conflicts (eTags) and merges.
"""

from __future__ import annotations

import pytest
from botbuilder.core import ConversationState, TurnContext, UserState

from bots import TurnStateSaver
from dialogs import HISTORY_PROPERTY, TurnChanges
from dialogs.user_profile import PROFILE_PROPERTY
from storage import InMemoryStorage
from tests.storage.turns import turn_context

Q1 = [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1", "outcome": "complete"}]
Q2 = [{"role": "user", "content": "q2"}, {"role": "assistant", "content": "a2", "outcome": "complete"}]
Q3 = [{"role": "user", "content": "q3"}, {"role": "assistant", "content": "a3", "outcome": "complete"}]
Q4 = [{"role": "user", "content": "q4"}, {"role": "assistant", "content": "a4", "outcome": "complete"}]


class Bot:
    """The state and saver a bot process has, over a storage shared with another one."""

    def __init__(self, storage: InMemoryStorage) -> None:
        self.conversation = ConversationState(storage)
        self.user = UserState(storage)
        self.history = self.conversation.create_property(HISTORY_PROPERTY)
        self.profile = self.user.create_property(PROFILE_PROPERTY)
        self.saver = TurnStateSaver(self.conversation, self.user, history_budget=10_000)

    async def turn(self) -> TurnContext:
        """A turn that has loaded the conversation's and the user's state."""
        context = turn_context()
        await self.conversation.load(context)
        await self.user.load(context)
        return context

    async def add(self, context: TurnContext, entries: list[dict[str, str]]) -> None:
        """What the chat dialog does."""
        await self.history.set(context, [*(await self.history.get(context, list)), *entries])
        TurnChanges.of(context).add_to_history(entries)

    async def reset(self, context: TurnContext) -> None:
        """What the reset dialog does."""
        await self.history.set(context, [])
        TurnChanges.of(context).clear_history()

    async def stored(self) -> tuple[list[dict[str, str]], dict[str, object] | None]:
        context = await self.turn()
        return await self.history.get(context, list), await self.profile.get(context)


async def test_racing_answers_both_keep_their_history() -> None:
    storage = InMemoryStorage()
    a, b = Bot(storage), Bot(storage)
    first = await a.turn()
    await a.add(first, Q1)
    await a.saver.save(first)

    one, other = await a.turn(), await b.turn()
    await a.add(one, Q2)
    await b.add(other, Q3)
    await a.saver.save(one)
    await b.saver.save(other)  # conflicts, merges
    assert (await a.stored())[0] == [*Q1, *Q2, *Q3]


async def test_a_reset_saved_after_a_racing_answer_still_clears_the_history() -> None:
    storage = InMemoryStorage()
    a, b = Bot(storage), Bot(storage)
    first = await a.turn()
    await a.add(first, Q1)
    await a.saver.save(first)

    answer, reset = await a.turn(), await b.turn()
    await a.add(answer, Q2)
    await b.reset(reset)
    await a.saver.save(answer)
    await b.saver.save(reset)  # conflicts: the merge must clear the fresh history, not re-add nothing to it
    assert (await a.stored())[0] == []


async def test_a_turn_that_reset_and_then_answered_keeps_only_its_answer() -> None:
    storage = InMemoryStorage()
    a, b = Bot(storage), Bot(storage)
    first = await a.turn()
    await a.add(first, Q1)
    await a.saver.save(first)

    answer, reset = await a.turn(), await b.turn()
    await a.add(answer, Q2)
    await b.add(reset, Q3)  # added before the reset: gone with it
    await b.reset(reset)
    await b.add(reset, Q4)  # added after the reset: kept
    await a.saver.save(answer)
    await b.saver.save(reset)
    assert (await a.stored())[0] == Q4


async def test_an_answer_saved_after_a_racing_reset_is_kept_on_the_cleared_history() -> None:
    storage = InMemoryStorage()
    a, b = Bot(storage), Bot(storage)
    first = await a.turn()
    await a.add(first, Q1)
    await a.saver.save(first)

    answer, reset = await a.turn(), await b.turn()
    await a.add(answer, Q2)
    await b.reset(reset)
    await b.saver.save(reset)
    await a.saver.save(answer)  # conflicts: its own answer goes on top of the cleared history
    assert (await a.stored())[0] == Q2


async def test_a_saved_profile_survives_a_racing_turn_of_the_same_user() -> None:
    storage = InMemoryStorage()
    a, b = Bot(storage), Bot(storage)
    settings, other = await a.turn(), await b.turn()
    profile = {"style": "concise", "instructions": "", "temperature": 0.3}
    await a.profile.set(settings, profile)
    TurnChanges.of(settings).save_profile(profile)
    await b.user.create_property("seen_welcome").set(other, True)  # some other user-state change

    await b.saver.save(other)
    await a.saver.save(settings)  # conflicts: its profile is applied on top
    assert (await a.stored())[1] == profile


async def test_a_racing_turn_that_did_not_save_a_profile_does_not_undo_one() -> None:
    storage = InMemoryStorage()
    a, b = Bot(storage), Bot(storage)
    settings, other = await a.turn(), await b.turn()
    profile = {"style": "detailed", "instructions": "Be formal.", "temperature": 1.0}
    await a.profile.set(settings, profile)
    TurnChanges.of(settings).save_profile(profile)
    seen = b.user.create_property("seen_welcome")
    await seen.set(other, True)

    await a.saver.save(settings)
    await b.saver.save(other)  # conflicts: keeps the fresh profile, adds its own change
    context = await a.turn()
    assert await a.profile.get(context) == profile
    assert await a.user.create_property("seen_welcome").get(context) is True


class CountingStorage(InMemoryStorage):
    """Counts reads, to show which turns read state and which were handed it."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def read(self, keys: list[str]) -> dict[str, object]:
        self.reads += 1
        return await super().read(keys)


async def test_the_answer_turn_starts_from_the_saved_state_without_reading_it() -> None:
    storage = CountingStorage()
    bot = Bot(storage)
    user_turn = await bot.turn()
    await bot.add(user_turn, Q1)
    await bot.profile.set(user_turn, {"style": "concise"})
    await bot.saver.save(user_turn)
    reads = storage.reads

    answer_turn = turn_context()
    bot.saver.hand_over(user_turn, answer_turn)
    await bot.conversation.load(answer_turn)
    await bot.user.load(answer_turn)
    assert storage.reads == reads
    await bot.add(answer_turn, Q2)
    await bot.saver.save(answer_turn)  # The handed-over eTag is the stored one: no conflict.
    assert storage.reads == reads
    assert await bot.stored() == ([*Q1, *Q2], {"style": "concise"})


async def test_a_handed_over_state_that_changed_meanwhile_is_merged() -> None:
    storage = InMemoryStorage()
    a, b = Bot(storage), Bot(storage)
    user_turn = await a.turn()
    await a.add(user_turn, Q1)
    await a.saver.save(user_turn)
    answer_turn = turn_context()
    a.saver.hand_over(user_turn, answer_turn)
    other = await b.turn()  # Another instance saves between the user's turn and the answer's.
    await b.add(other, Q2)
    await b.saver.save(other)

    await a.conversation.load(answer_turn)
    await a.add(answer_turn, Q3)
    await a.saver.save(answer_turn)
    assert (await a.stored())[0] == [*Q1, *Q2, *Q3]


async def test_a_turn_that_did_not_save_hands_over_nothing() -> None:
    storage = CountingStorage()
    bot = Bot(storage)
    user_turn = await bot.turn()
    await bot.add(user_turn, Q1)  # Not saved: the turn failed before its end.
    answer_turn = turn_context()
    bot.saver.hand_over(user_turn, answer_turn)
    assert bot.conversation.get_cached_state(answer_turn) is None
    assert bot.user.get_cached_state(answer_turn) is None


async def test_a_users_turn_loads_both_states_in_one_read_and_keeps_what_it_holds() -> None:
    storage = CountingStorage()
    bot = Bot(storage)
    first = await bot.turn()
    await bot.add(first, Q1)
    await bot.profile.set(first, {"style": "concise"})
    await bot.saver.save(first)
    reads = storage.reads

    context = turn_context()
    await bot.saver.load(context)
    assert storage.reads == reads + 1
    assert await bot.history.get(context, list) == Q1
    assert await bot.profile.get(context) == {"style": "concise"}

    await bot.history.set(context, [])  # changed in the turn, not saved yet
    await bot.saver.load(context)
    assert storage.reads == reads + 1
    assert await bot.history.get(context, list) == []


def test_the_two_states_must_share_one_storage() -> None:
    with pytest.raises(ValueError, match="share one storage"):
        TurnStateSaver(ConversationState(InMemoryStorage()), UserState(InMemoryStorage()), history_budget=10)
