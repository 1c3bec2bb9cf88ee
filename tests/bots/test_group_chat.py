"""Teams group chats and channels, over real HTTP: the bot answers only when @mentioned.

The mention is removed from the question, the history says who said what, and messages that do
not mention the bot get no reply, are not recorded and do not interrupt an answer in progress.
"""

from __future__ import annotations

import pytest

from answers.chat_answer import GROUP_SYSTEM_NOTE
from dialogs.help_dialog import HELP_TEXT
from streaming.notes import STOP_NOTES
from tests.conftest import StartBot
from tests.support.activities import user_message
from tests.support.connector import RecordingConnector
from tests.support.model_server import ModelServer

ANA = {"id": "user-2", "name": "Ana"}


def group_message(text: str, connector: RecordingConnector, conversation_type: str, **kwargs: object) -> dict:
    return user_message(
        text, connector.url, conversation_type=conversation_type, conversation_id="conv-group", **kwargs
    )


@pytest.mark.parametrize("conversation_type", ["groupChat", "channel"])
async def test_answers_only_mentions_and_records_who_said_what(
    start_bot: StartBot,
    model_env: dict[str, str],
    model_server: ModelServer,
    connector: RecordingConnector,
    conversation_type: str,
) -> None:
    model_server.token_delay = 0.0
    bot = await start_bot(model_env)

    await bot.post_activity(group_message("what is 2+2?", connector, conversation_type, mention_bot=True))
    assert await connector.wait_for_answers(1) == [model_server.answer]

    sent = len(connector.received)
    status, _ = await bot.post_activity(group_message("lunch at noon?", connector, conversation_type))
    assert status == 201
    await bot.answers_done()  # The turn ended with the request; an answer it started would end here.
    assert len(connector.received) == sent
    assert len(model_server.requests) == 1

    await bot.post_activity(
        group_message("and 3+3?", connector, conversation_type, mention_bot=True, sender=ANA)
    )
    await connector.wait_for_answers(2)
    first, second = (request.body["messages"] for request in model_server.requests)
    assert first[0]["content"].endswith(f"\n\n{GROUP_SYSTEM_NOTE}")
    assert first[1:] == [{"role": "user", "content": "Test User: what is 2+2?"}]
    assert second[1:] == [
        {"role": "user", "content": "Test User: what is 2+2?"},
        {"role": "assistant", "content": model_server.answer},
        {"role": "user", "content": "Ana: and 3+3?"},
    ]


async def test_commands_work_when_the_bot_is_mentioned(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    bot = await start_bot(model_env)
    await bot.post_activity(group_message("help", connector, "groupChat", mention_bot=True))
    assert await connector.wait_for_answers(1) == [HELP_TEXT]
    assert model_server.requests == []


async def test_a_message_without_a_mention_does_not_interrupt_the_answer(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    bot = await start_bot(model_env)  # The model takes about 2.5 s to answer.
    await bot.post_activity(group_message("tell me a story", connector, "groupChat", mention_bot=True))
    await connector.wait_until(lambda: len(model_server.requests) == 1)
    await bot.post_activity(group_message("brb", connector, "groupChat"))

    [answer] = await connector.wait_for_answers(1)
    assert answer == model_server.answer
    assert not any(note in answer for note in STOP_NOTES.values())


async def test_personal_chats_need_no_mention_and_keep_plain_history(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.token_delay = 0.0
    bot = await start_bot(model_env)
    await bot.post_activity(user_message("hello", connector.url))
    await connector.wait_for_answers(1)
    [request] = model_server.requests
    assert GROUP_SYSTEM_NOTE not in request.body["messages"][0]["content"]
    assert request.body["messages"][1:] == [{"role": "user", "content": "hello"}]


async def test_settings_in_a_group_take_mentioned_answers_and_apply_to_their_author_only(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.token_delay = 0.0
    bot = await start_bot(model_env)
    for number, text in enumerate(["settings", "1", "none", "0.5"], start=1):
        await bot.post_activity(group_message(text, connector, "groupChat", mention_bot=True))
        await connector.wait_for_answers(number)
    prompt, *_, summary = connector.bubbles()
    assert prompt.endswith("(1) Concise, (2) Balanced, or (3) Detailed")  # in the text: no buttons
    assert "**Concise**" in summary and "**0.5**" in summary

    await bot.post_activity(group_message("mine?", connector, "groupChat", mention_bot=True))
    await connector.wait_for_answers(5)
    await bot.post_activity(group_message("and mine?", connector, "groupChat", mention_bot=True, sender=ANA))
    await connector.wait_for_answers(6)
    test_user, ana = (request.body["temperature"] for request in model_server.requests)
    assert (test_user, ana) == (0.5, 0.7)  # The profile is the user's, not the group's.
