"""reset: confirmed, it clears this conversation's history; declined, it keeps it."""

from __future__ import annotations

import pytest

from dialogs.reset_dialog import CONFIRM_QUESTION, CONFIRM_RETRY, RESET_DONE_TEXT, RESET_KEPT_TEXT
from tests.dialogs.harness import SYSTEM_PROMPT, DialogBot
from tests.support.model_server import ModelServer

CHOICES = " (1) Yes or (2) No"


@pytest.mark.parametrize("text", ["reset", "Start over", "forget everything"])
async def test_reset_asks_first(dialog_bot: DialogBot, model_server: ModelServer, text: str) -> None:
    assert await dialog_bot.say(text) == [CONFIRM_QUESTION + CHOICES]
    assert model_server.requests == []


@pytest.mark.parametrize("yes", ["yes", "1", "Yes please"])
async def test_yes_clears_the_history(dialog_bot: DialogBot, model_server: ModelServer, yes: str) -> None:
    await dialog_bot.say("first question")
    await dialog_bot.say("reset")
    assert await dialog_bot.say(yes) == [RESET_DONE_TEXT]
    assert await dialog_bot.history() == []

    await dialog_bot.say("fresh question")
    assert model_server.requests[-1].body["messages"] == [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": "fresh question"},
    ]


@pytest.mark.parametrize("no", ["no", "2"])
async def test_no_keeps_the_history(dialog_bot: DialogBot, model_server: ModelServer, no: str) -> None:
    await dialog_bot.say("first question")
    await dialog_bot.say("reset")
    assert await dialog_bot.say(no) == [RESET_KEPT_TEXT]

    await dialog_bot.say("second question")
    assert [message["content"] for message in model_server.requests[-1].body["messages"][1:]] == [
        "first question",
        model_server.answer,
        "second question",
    ]


async def test_an_answer_that_is_neither_yes_nor_no_is_asked_again(dialog_bot: DialogBot) -> None:
    await dialog_bot.say("first question")
    await dialog_bot.say("reset")
    assert await dialog_bot.say("perhaps") == [CONFIRM_RETRY + CHOICES]
    assert len(await dialog_bot.history()) == 2
    assert await dialog_bot.say("yes") == [RESET_DONE_TEXT]
    assert await dialog_bot.history() == []


async def test_reset_keeps_the_profile(dialog_bot: DialogBot) -> None:
    for text in ["settings", "concise", "none", "0.4", "reset", "yes"]:
        await dialog_bot.say(text)
    assert await dialog_bot.profile() == {"style": "concise", "instructions": "", "temperature": 0.4}
