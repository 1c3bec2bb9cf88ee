"""The dialogs through the real app over HTTP, state in SQLite: the answer's own turn uses the profile."""

from __future__ import annotations

from pathlib import Path

from answers.profile import STYLE_INSTRUCTIONS, AnswerStyle
from dialogs.reset_dialog import RESET_DONE_TEXT
from dialogs.settings_dialog import STYLE_QUESTION
from tests.conftest import StartBot
from tests.support.activities import user_message
from tests.support.bot import BotClient
from tests.support.connector import RecordingConnector
from tests.support.model_server import ModelServer


class Chat:
    """One Web Chat conversation with the bot."""

    def __init__(self, bot: BotClient, connector: RecordingConnector) -> None:
        self._bot = bot
        self._connector = connector

    async def say(self, text: str) -> str:
        """Send `text`; return the bot's last message once its reply (or answer) is complete."""
        done = len(self._connector.bubbles())
        message = user_message(text, self._connector.url, channel_id="webchat", conversation_id="conv-http")
        status, _ = await self._bot.post_activity(message)
        assert status == 201
        return (await self._connector.wait_for_answers(done + 1))[-1]


async def test_settings_saved_in_one_turn_shape_the_next_background_answer(
    start_bot: StartBot,
    model_env: dict[str, str],
    model_server: ModelServer,
    connector: RecordingConnector,
    tmp_path: Path,
) -> None:
    model_server.token_delay = 0.0
    env = {**model_env, "STORAGE": "sqlite", "SQLITE_PATH": str(tmp_path / "state.sqlite3")}
    chat = Chat(await start_bot({**env, "WEBCHAT_STREAM_INTERVAL": "0.05"}), connector)

    assert await chat.say("first question") == model_server.answer
    assert (await chat.say("settings")).startswith(STYLE_QUESTION)
    await chat.say("concise")
    await chat.say("Call me Sam.")
    assert "**0.2**" in await chat.say("0.2")
    assert await chat.say("second question") == model_server.answer

    first, second = (request.body for request in model_server.requests)
    assert first["temperature"] == 0.7
    assert second["temperature"] == 0.2
    assert STYLE_INSTRUCTIONS[AnswerStyle.CONCISE] in second["messages"][0]["content"]
    assert "Call me Sam." in second["messages"][0]["content"]
    assert [message["content"] for message in second["messages"][1:]] == [
        "first question",
        model_server.answer,
        "second question",
    ]

    await chat.say("start over")
    assert await chat.say("yes") == RESET_DONE_TEXT
    await chat.say("third question")
    assert [message["content"] for message in model_server.requests[-1].body["messages"][1:]] == [
        "third question"
    ]
