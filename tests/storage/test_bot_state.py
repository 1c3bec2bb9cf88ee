"""BotState on every backend: dialogs survive a restart, and racing turns are caught and merged."""

from __future__ import annotations

import pytest
from botbuilder.core import ConversationState, MessageFactory, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import (
    DialogSet,
    DialogState,
    DialogTurnResult,
    DialogTurnStatus,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptOptions, TextPrompt

from storage import ClosableStorage, StorageConflictError, save_with_retry
from storage.retry import Reapply
from tests.storage.conftest import OpenStorage
from tests.storage.turns import CONVERSATION_KEY, turn_context, user_message


async def ask_name(step: WaterfallStepContext) -> DialogTurnResult:
    return await step.prompt("name", PromptOptions(prompt=MessageFactory.text("What is your name?")))


async def greet(step: WaterfallStepContext) -> DialogTurnResult:
    await step.context.send_activity(f"Hello, {step.result}!")
    return await step.end_dialog()


async def one_turn_of_a_fresh_bot(storage: ClosableStorage, text: str) -> str:
    """Run one user message through a bot built from scratch, as after a restart; return its reply."""
    conversation_state = ConversationState(storage)
    dialogs = DialogSet(conversation_state.create_property("DialogState"))
    dialogs.add(TextPrompt("name"))
    dialogs.add(WaterfallDialog("greeting", [ask_name, greet]))

    async def logic(context: TurnContext) -> None:
        dialog_context = await dialogs.create_context(context)
        result = await dialog_context.continue_dialog()
        if result.status == DialogTurnStatus.Empty:
            await dialog_context.begin_dialog("greeting")
        await conversation_state.save_changes(context)

    adapter = TestAdapter(logic, user_message(""))
    await adapter.receive_activity(user_message(text))
    return adapter.get_next_activity().text


async def test_a_waterfall_dialog_survives_a_restart(open_storage: OpenStorage) -> None:
    assert await one_turn_of_a_fresh_bot(open_storage(), "hi") == "What is your name?"

    stored = await open_storage().read([CONVERSATION_KEY])
    dialog_state = stored[CONVERSATION_KEY]["DialogState"]
    assert isinstance(dialog_state, DialogState)
    assert [instance.id for instance in dialog_state.dialog_stack] == ["name", "greeting"]

    # Step two of the waterfall answers: the stack came back, with the prompt's options in it.
    assert await one_turn_of_a_fresh_bot(open_storage(), "Ada") == "Hello, Ada!"
    assert await one_turn_of_a_fresh_bot(open_storage(), "hi again") == "What is your name?"


async def load_two_turns(storage: ClosableStorage) -> tuple[ConversationState, TurnContext, TurnContext]:
    """Two turns of one conversation that both loaded its state before either saved."""
    state = ConversationState(storage)
    first, second = turn_context(), turn_context()
    await state.load(first)
    await state.load(second)
    return state, first, second


def add_note(note: str) -> Reapply:
    def reapply(state: dict[str, object]) -> None:
        state["notes"] = [*state.get("notes", []), note]

    return reapply


async def test_plain_save_changes_refuses_the_second_of_two_racing_turns(storage: ClosableStorage) -> None:
    await storage.write({CONVERSATION_KEY: {"notes": []}})
    state, first, second = await load_two_turns(storage)
    add_note("first")(state.get(first))
    add_note("second")(state.get(second))

    await state.save_changes(first)
    with pytest.raises(StorageConflictError):
        await state.save_changes(second)
    stored = await storage.read([CONVERSATION_KEY])
    assert stored[CONVERSATION_KEY]["notes"] == ["first"]


@pytest.mark.parametrize("existing", [True, False], ids=["existing-state", "first-turns"])
async def test_save_with_retry_merges_the_losing_turn(storage: ClosableStorage, existing: bool) -> None:
    if existing:
        await storage.write({CONVERSATION_KEY: {"notes": ["earlier"]}})
    state, first, second = await load_two_turns(storage)
    merges: list[str] = []

    def counted(note: str) -> Reapply:
        def reapply(state_dict: dict[str, object]) -> None:
            merges.append(note)
            add_note(note)(state_dict)

        return reapply

    for context, note in ((first, "first"), (second, "second")):
        add_note(note)(state.get(context))
    await save_with_retry(state, first, counted("first"))
    await save_with_retry(state, second, counted("second"))

    assert merges == ["second"]
    stored = await storage.read([CONVERSATION_KEY])
    assert stored[CONVERSATION_KEY]["notes"] == [*(["earlier"] if existing else []), "first", "second"]


async def test_save_with_retry_gives_up_loudly_after_its_attempts(storage: ClosableStorage) -> None:
    state, first, _ = await load_two_turns(storage)
    add_note("mine")(state.get(first))
    rival = ConversationState(storage)

    async def rival_saves() -> None:
        context = turn_context()
        await rival.load(context)
        add_note("rival")(rival.get(context))
        await rival.save_changes(context)

    await rival_saves()
    merges = 0

    def reapply(state_dict: dict[str, object]) -> None:
        nonlocal merges
        merges += 1
        add_note("mine")(state_dict)

    # Another turn saves between every reload and save; simulate it by saving after each reload.
    original_load = state.load

    async def load_then_rival(context: TurnContext, force: bool = False) -> None:
        await original_load(context, force)
        await rival_saves()

    state.load = load_then_rival
    with pytest.raises(StorageConflictError):
        await save_with_retry(state, first, reapply, attempts=3)
    assert merges == 2
    stored = await storage.read([CONVERSATION_KEY])
    assert "mine" not in stored[CONVERSATION_KEY]["notes"]


async def test_save_with_retry_writes_nothing_when_nothing_changed(storage: ClosableStorage) -> None:
    await storage.write({CONVERSATION_KEY: {"notes": []}})
    etag = (await storage.read([CONVERSATION_KEY]))[CONVERSATION_KEY]["e_tag"]
    state = ConversationState(storage)
    context = turn_context()
    await state.load(context)
    await save_with_retry(state, context, add_note("unused"))
    assert (await storage.read([CONVERSATION_KEY]))[CONVERSATION_KEY]["e_tag"] == etag
