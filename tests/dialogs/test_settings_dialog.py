"""settings: every step, every validator re-asking, the summary, the profile, and answers that use it."""

from __future__ import annotations

import pytest
from botbuilder.schema import Activity, ConversationAccount

from answers.profile import STYLE_INSTRUCTIONS, AnswerStyle
from dialogs.reset_dialog import CONFIRM_QUESTION
from dialogs.settings_dialog import (
    INSTRUCTIONS_QUESTION,
    STYLE_QUESTION,
    STYLE_RETRY,
    TEMPERATURE_QUESTION,
    TEMPERATURE_RETRY,
    instructions_too_long,
)
from dialogs.user_profile import MAX_INSTRUCTIONS_CHARS
from llm.offline_model import OfflineChatModel
from tests.dialogs.harness import SYSTEM_PROMPT, DialogBot, make_dialog_bot
from tests.support.model_server import ModelServer

STYLE_CHOICES = " (1) Concise, (2) Balanced, or (3) Detailed"


async def answer_settings(bot: DialogBot, *answers: str) -> list[str]:
    """Start the settings dialog and give `answers`; return the replies to the last one."""
    replies = await bot.say("settings")
    for answer in answers:
        replies = await bot.say(answer)
    return replies


async def test_asks_each_setting_then_shows_a_summary_and_saves_the_profile(dialog_bot: DialogBot) -> None:
    assert await dialog_bot.say("settings") == [STYLE_QUESTION + STYLE_CHOICES]
    assert await dialog_bot.say("Detailed") == [INSTRUCTIONS_QUESTION]
    assert await dialog_bot.say("Answer in French.") == [TEMPERATURE_QUESTION]
    [summary] = await dialog_bot.say("0.2")

    assert summary.startswith("Saved. From now on I answer like this:")
    assert "- Answer style: **Detailed**" in summary
    assert "- Custom instructions: Answer in French." in summary
    assert "- Creativity (temperature): **0.2**" in summary
    assert await dialog_bot.profile() == {
        "style": "detailed",
        "instructions": "Answer in French.",
        "temperature": 0.2,
    }


async def test_a_style_can_be_picked_by_number(dialog_bot: DialogBot) -> None:
    await answer_settings(dialog_bot, "1", "none", "1")
    assert (await dialog_bot.profile() or {})["style"] == "concise"


async def test_an_unknown_style_is_asked_again(dialog_bot: DialogBot) -> None:
    await dialog_bot.say("settings")
    assert await dialog_bot.say("chatty") == [STYLE_RETRY + STYLE_CHOICES]
    assert await dialog_bot.say("balanced") == [INSTRUCTIONS_QUESTION]


async def test_instructions_that_are_too_long_are_asked_again_with_their_length(
    dialog_bot: DialogBot,
) -> None:
    await answer_settings(dialog_bot, "concise")
    too_long = "x" * (MAX_INSTRUCTIONS_CHARS + 1)
    assert await dialog_bot.say(too_long) == [instructions_too_long(MAX_INSTRUCTIONS_CHARS + 1)]
    assert await dialog_bot.say("y" * MAX_INSTRUCTIONS_CHARS) == [TEMPERATURE_QUESTION]


async def test_none_means_no_custom_instructions(dialog_bot: DialogBot) -> None:
    await answer_settings(dialog_bot, "concise", "None", "1")
    assert (await dialog_bot.profile() or {})["instructions"] == ""


@pytest.mark.parametrize("bad", ["2.5", "-0.1", "very creative"])
async def test_a_temperature_out_of_range_or_not_a_number_is_asked_again(
    dialog_bot: DialogBot, bad: str
) -> None:
    await answer_settings(dialog_bot, "concise", "none")
    assert await dialog_bot.say(bad) == [TEMPERATURE_RETRY]
    assert await dialog_bot.profile() is None  # Nothing is saved before the last answer.
    [summary] = await dialog_bot.say("2")
    assert "**2**" in summary


async def test_later_answers_use_the_profile(dialog_bot: DialogBot, model_server: ModelServer) -> None:
    await dialog_bot.say("before the settings")
    await answer_settings(dialog_bot, "concise", "Call me Sam.", "0.3")
    await dialog_bot.say("after the settings")

    before, after = model_server.requests
    assert before.body["messages"][0] == {"role": "system", "content": SYSTEM_PROMPT}
    assert before.body["temperature"] == 0.7  # MODEL_TEMPERATURE's default
    assert after.body["messages"][0] == {
        "role": "system",
        "content": (
            f"{SYSTEM_PROMPT}\n\n{STYLE_INSTRUCTIONS[AnswerStyle.CONCISE]}\n\n"
            "The user's own instructions for your answers: Call me Sam."
        ),
    }
    assert after.body["temperature"] == 0.3
    # The settings conversation itself is not chat history.
    assert [message["content"] for message in after.body["messages"][1:]] == [
        "before the settings",
        model_server.answer,
        "after the settings",
    ]


async def test_the_balanced_style_adds_nothing_to_the_system_prompt(
    dialog_bot: DialogBot, model_server: ModelServer
) -> None:
    await answer_settings(dialog_bot, "balanced", "none", "1.5")
    await dialog_bot.say("a question")
    [request] = model_server.requests
    assert request.body["messages"][0]["content"] == SYSTEM_PROMPT
    assert request.body["temperature"] == 1.5


async def test_changing_settings_again_replaces_the_profile(dialog_bot: DialogBot) -> None:
    await answer_settings(dialog_bot, "detailed", "Be formal.", "0.1")
    await answer_settings(dialog_bot, "concise", "none", "1")
    assert await dialog_bot.profile() == {"style": "concise", "instructions": "", "temperature": 1.0}


def in_conversation(text: str, conversation_type: str) -> Activity:
    return Activity(
        type="message",
        text=text,
        conversation=ConversationAccount(id="conv-1", conversation_type=conversation_type),
    )


async def test_teams_shows_choice_buttons_in_a_personal_chat_and_numbered_text_in_a_group() -> None:
    personal = make_dialog_bot(OfflineChatModel(tokens_per_second=1000), channel="msteams")
    [prompt] = await personal.send(in_conversation("settings", "personal"))
    [card] = prompt.attachments
    assert [button.value for button in card.content.buttons] == ["Concise", "Balanced", "Detailed"]

    # In a group a button's message would carry no @mention, and the bot would ignore it.
    group = make_dialog_bot(OfflineChatModel(tokens_per_second=1000), channel="msteams")
    assert await group.say(in_conversation("settings", "groupChat")) == [STYLE_QUESTION + STYLE_CHOICES]
    group = make_dialog_bot(OfflineChatModel(tokens_per_second=1000), channel="msteams")
    assert await group.say(in_conversation("reset", "channel")) == [CONFIRM_QUESTION + " (1) Yes or (2) No"]
