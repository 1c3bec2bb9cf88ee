"""Over real HTTP: a message is acknowledged before its turn runs, and the user's turn shows the
answer's first sign, which the answer's stream takes over; nothing else shows one."""

from __future__ import annotations

import asyncio

import pytest

import app
from app import TURNS
from dialogs.settings_dialog import INSTRUCTIONS_QUESTION, STYLE_QUESTION
from safety.user_limits import TOO_LONG_REPLY
from storage import InMemoryStorage
from streaming import DEFAULT_INFORMATIVE_TEXT
from tests.conftest import StartBot
from tests.support.activities import user_message
from tests.support.connector import Received, RecordingConnector, is_final
from tests.support.model_server import ModelServer


def signs(connector: RecordingConnector) -> list[Received]:
    """Every typing activity the bot sent: typing indicators and informative stream updates."""
    return [item for item in connector.received if item.activity.get("type") == "typing"]


def informative(item: Received) -> bool:
    info = item.stream_info
    return bool(info and info.get("streamType") == "informative")


async def test_the_message_is_acknowledged_before_its_turn_ends(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.token_delay = 0.0
    bot = await start_bot(model_env)
    connector.hold = asyncio.Event()  # the turn's first send ("Thinking…") waits until released

    # The bound makes a POST that waits for its turn fail instead of hanging.
    status, body = await asyncio.wait_for(bot.post_activity_only(user_message("hello", connector.url)), 20)
    assert (status, body) == (201, None)
    await connector.wait_until(lambda: connector.held == 1)
    assert bot.app[TURNS].active == 1  # the user's turn itself waits for its "Thinking…" to be taken
    assert connector.received == []

    connector.hold.set()
    assert await connector.wait_for_answers(1) == [model_server.answer]
    assert informative(connector.received[0])
    await bot.answers_done()
    assert bot.app[TURNS].active == 0


async def test_teams_gets_one_thinking_then_the_answer_on_the_same_stream(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    connector.conversation_rate_limit_interval = 1.0
    bot = await start_bot(model_env)
    await bot.post_activity(user_message("hello", connector.url))
    assert await connector.wait_for_answers(1) == [model_server.answer]
    await bot.answers_done()

    first, *rest = connector.received
    assert informative(first) and first.activity["text"] == DEFAULT_INFORMATIVE_TEXT
    assert first.stream_info is not None and first.stream_info.get("streamSequence") == 1
    assert rest, "the answer went on after the first sign"
    assert not any(informative(item) for item in rest)  # "Thinking…" is not shown twice
    updates, final = rest[:-1], rest[-1]
    assert [item.stream_info and item.stream_info.get("streamId") for item in rest] == [first.reply_id] * len(
        rest
    )
    assert [item.stream_info and item.stream_info.get("streamSequence") for item in updates] == list(
        range(2, len(updates) + 2)
    )
    assert is_final(final) and final.activity["text"] == model_server.answer
    assert connector.throttled() == []  # the stream kept the pace from the sign's send on


class ReadsAfterFirstSend(InMemoryStorage):
    """The bot's storage, noting each key read, and those read once the connector has received anything."""

    def __init__(self, connector: RecordingConnector) -> None:
        super().__init__()
        self._connector = connector
        self.keys: list[str] = []
        self.late_keys: list[str] = []

    async def read(self, keys: list[str]) -> dict[str, object]:
        self.keys.extend(keys)
        if self._connector.received:
            self.late_keys.extend(keys)
        return await super().read(keys)


async def test_once_the_sign_shows_the_answer_reads_no_state(
    start_bot: StartBot,
    model_env: dict[str, str],
    model_server: ModelServer,
    connector: RecordingConnector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The user's turn reads the conversation's and the user's state before "Thinking…" and hands both
    # to the answer's turn: a store that fails after the sign can no longer keep the answer from
    # starting (several instances on Redis lost it that way when Redis stopped at that moment).
    storage = ReadsAfterFirstSend(connector)
    monkeypatch.setattr(app, "create_storage", lambda settings: storage)
    bot = await start_bot(model_env)
    message = user_message("hello", connector.url)
    await bot.post_activity(message)
    assert await connector.wait_for_answers(1) == [model_server.answer]
    await bot.answers_done()

    assert informative(connector.received[0])
    # botbuilder's ConversationState and UserState keys.
    channel, conversation, user = message["channelId"], message["conversation"]["id"], message["from"]["id"]
    state_keys = {f"{channel}/conversations/{conversation}", f"{channel}/users/{user}"}
    assert state_keys <= set(storage.keys)  # read, by the user's turn
    assert state_keys & set(storage.late_keys) == set()


async def test_a_message_sent_right_after_another_waits_for_its_turn(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    bot = await start_bot(model_env)
    # Web Chat, where a prompt's question is its text (Teams shows it on a card).
    settings = user_message("settings", connector.url, channel_id="webchat", conversation_id="conv-quick")
    style = user_message("Concise", connector.url, channel_id="webchat", conversation_id="conv-quick")
    assert (await bot.post_activity_only(settings))[0] == 201
    assert (await bot.post_activity_only(style))[0] == 201  # before "settings" has been answered
    await bot.answers_done()

    asked, answered = connector.bubbles()
    assert asked.startswith(STYLE_QUESTION)
    assert answered.startswith(INSTRUCTIONS_QUESTION)  # "Concise" answered the style prompt
    assert model_server.requests == []
    assert signs(connector) == []


@pytest.mark.parametrize("command", ["help", "settings", "reset", "cancel"])
async def test_a_command_shows_no_sign(
    start_bot: StartBot,
    model_env: dict[str, str],
    model_server: ModelServer,
    connector: RecordingConnector,
    command: str,
) -> None:
    bot = await start_bot(model_env)
    await bot.post_activity(user_message(command, connector.url))
    await bot.answers_done()
    assert len(connector.bubbles()) >= 1
    assert signs(connector) == []
    assert model_server.requests == []


async def test_a_message_refused_by_the_limits_shows_no_sign(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    bot = await start_bot({**model_env, "MAX_MESSAGE_CHARS": "20"})
    await bot.post_activity(user_message("x" * 21, connector.url))
    await bot.answers_done()
    assert connector.bubbles() == [TOO_LONG_REPLY.format(length=21, limit=20)]
    assert signs(connector) == []
    assert model_server.requests == []


async def test_a_group_message_without_a_mention_shows_nothing(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    bot = await start_bot(model_env)
    await bot.post_activity(user_message("lunch at noon?", connector.url, conversation_type="groupChat"))
    await bot.answers_done()
    assert connector.received == []
    assert model_server.requests == []


async def test_a_group_mention_shows_typing_once_before_a_quick_answer(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.token_delay = 0.0  # the answer comes well within a typing interval
    bot = await start_bot(model_env)
    question = user_message("what is 2+2?", connector.url, conversation_type="groupChat", mention_bot=True)
    await bot.post_activity(question)
    await connector.wait_for_answers(1)
    await bot.answers_done()

    assert [item.activity["type"] for item in connector.received] == ["typing", "message"]
    assert connector.bubbles() == [model_server.answer]
