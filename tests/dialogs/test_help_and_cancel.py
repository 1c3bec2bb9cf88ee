"""help and cancel: on their own, and interrupting every step of the multi-turn dialogs."""

from __future__ import annotations

import pytest

from dialogs.cancel_and_help_dialog import CANCELLED_TEXT
from dialogs.help_dialog import HELP_TEXT
from dialogs.main_dialog import NOTHING_TO_CANCEL_TEXT
from dialogs.reset_dialog import CONFIRM_QUESTION
from dialogs.settings_dialog import INSTRUCTIONS_QUESTION, STYLE_QUESTION, TEMPERATURE_QUESTION
from tests.dialogs.harness import DialogBot
from tests.support.model_server import ModelServer

STYLE_ASKED = STYLE_QUESTION + " (1) Concise, (2) Balanced, or (3) Detailed"
CONFIRM_ASKED = CONFIRM_QUESTION + " (1) Yes or (2) No"

# The answers that bring the settings dialog to each of its steps, and that step's question.
SETTINGS_STEPS = [
    pytest.param([], STYLE_ASKED, id="style"),
    pytest.param(["detailed"], INSTRUCTIONS_QUESTION, id="instructions"),
    pytest.param(["detailed", "Be brief."], TEMPERATURE_QUESTION, id="temperature"),
]


@pytest.mark.parametrize("text", ["help", "What can you do?"])
async def test_help_lists_what_the_bot_does_and_its_commands(
    dialog_bot: DialogBot, model_server: ModelServer, text: str
) -> None:
    assert await dialog_bot.say(text) == [HELP_TEXT]
    assert all(f"**{command}**" in HELP_TEXT for command in ("settings", "reset", "cancel", "help"))
    assert model_server.requests == []  # A command, not a question for the model.


async def test_cancel_with_nothing_running_says_so(dialog_bot: DialogBot, model_server: ModelServer) -> None:
    assert await dialog_bot.say("cancel") == [NOTHING_TO_CANCEL_TEXT]
    assert model_server.requests == []


@pytest.mark.parametrize(("answers", "question"), SETTINGS_STEPS)
async def test_help_in_the_middle_of_settings_shows_help_and_asks_again(
    dialog_bot: DialogBot, answers: list[str], question: str
) -> None:
    await dialog_bot.say("settings")
    for answer in answers:
        await dialog_bot.say(answer)
    assert await dialog_bot.say("help") == [HELP_TEXT, question]
    assert await dialog_bot.say("what can you do") == [HELP_TEXT, question]


async def test_settings_go_on_after_help(dialog_bot: DialogBot) -> None:
    await dialog_bot.say("settings")
    await dialog_bot.say("help")
    await dialog_bot.say("concise")
    await dialog_bot.say("help")
    await dialog_bot.say("Be brief.")
    await dialog_bot.say("help")
    await dialog_bot.say("0.5")
    assert await dialog_bot.profile() == {"style": "concise", "instructions": "Be brief.", "temperature": 0.5}


@pytest.mark.parametrize(("answers", "question"), SETTINGS_STEPS)
@pytest.mark.parametrize("cancel", ["cancel", "never mind"])
async def test_cancel_leaves_settings_from_any_step_and_saves_nothing(
    dialog_bot: DialogBot, model_server: ModelServer, answers: list[str], question: str, cancel: str
) -> None:
    await dialog_bot.say("settings")
    for answer in answers:
        await dialog_bot.say(answer)
    assert await dialog_bot.say(cancel) == [CANCELLED_TEXT]
    assert await dialog_bot.profile() is None

    # The dialog is over: the next message is a question for the model again.
    await dialog_bot.say("a real question")
    [request] = model_server.requests
    assert request.body["messages"][-1] == {"role": "user", "content": "a real question"}


async def test_cancel_keeps_the_profile_saved_before(dialog_bot: DialogBot) -> None:
    for answer in ["settings", "concise", "none", "0.4", "settings", "detailed"]:
        await dialog_bot.say(answer)
    await dialog_bot.say("cancel")
    assert await dialog_bot.profile() == {"style": "concise", "instructions": "", "temperature": 0.4}


async def test_help_and_cancel_at_the_reset_confirmation(
    dialog_bot: DialogBot, model_server: ModelServer
) -> None:
    await dialog_bot.say("first question")
    await dialog_bot.say("reset")
    assert await dialog_bot.say("help") == [HELP_TEXT, CONFIRM_ASKED]
    assert await dialog_bot.say("cancel") == [CANCELLED_TEXT]
    assert [entry["content"] for entry in await dialog_bot.history()] == [
        "first question",
        model_server.answer,
    ]
