"""Storage outages: a clear error instead of a driver's, a clear reply to the user, and recovery.

The last tests go through the whole bot over HTTP: the user's message during the outage gets the
clear reply (and no 5xx), and the next message once storage is back is answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import redis.exceptions
from botbuilder.core import ConversationState, TurnContext
from botbuilder.core.adapters import TestAdapter

from host.turn_errors import STORAGE_UNAVAILABLE_REPLY, on_turn_error
from storage import ClosableStorage, RedisStorage, SqliteStorage, StorageUnavailableError
from tests.conftest import StartBot
from tests.storage.turns import user_message
from tests.support.activities import user_message as user_message_json
from tests.support.bot import BotClient
from tests.support.connector import RecordingConnector
from tests.support.model_server import ModelServer
from tests.support.redis_servers import PrivateRedis

SQLITE_FAILED = r"SQLite storage at \S+bot-state\.sqlite3 failed"
REDIS_UNAVAILABLE = r"Redis storage at 127\.0\.0\.1:\d+ is unavailable"


def every_call(storage: ClosableStorage) -> list[Callable[[], Awaitable[object]]]:
    """A read, a write and a delete."""
    return [
        lambda: storage.read(["k"]),
        lambda: storage.write({"k": {"n": 2}}),
        lambda: storage.delete(["k"]),
    ]


async def test_sqlite_at_an_unusable_path_is_unavailable_until_it_is_usable(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.write_text("a file where the database's folder should be")
    storage = SqliteStorage(folder / "bot-state.sqlite3")
    try:
        for call in every_call(storage):
            with pytest.raises(StorageUnavailableError, match=SQLITE_FAILED):
                await call()

        folder.unlink()
        await storage.write({"k": {"n": 1}})
        assert (await storage.read(["k"]))["k"]["n"] == 1
    finally:
        await storage.close()


async def test_redis_down_is_unavailable_and_the_same_storage_works_when_it_is_back(
    private_redis: PrivateRedis,
) -> None:
    storage = RedisStorage(private_redis.url, key_prefix="outage:")
    try:
        await storage.write({"k": {"n": 1}})
        private_redis.stop()
        for call in every_call(storage):
            with pytest.raises(StorageUnavailableError, match=REDIS_UNAVAILABLE):
                await call()
        with pytest.raises(StorageUnavailableError) as down:
            await storage.read(["k"])
        assert isinstance(down.value.__cause__, redis.exceptions.ConnectionError)

        private_redis.start()  # An empty Redis: this one keeps nothing on disk.
        await storage.write({"k": {"n": 3}})
        assert (await storage.read(["k"]))["k"]["n"] == 3
    finally:
        await storage.close()


async def counting_bot_turn(storage: ClosableStorage) -> str:
    """One turn of a bot that counts its turns in conversation state; returns what the user sees."""
    state = ConversationState(storage)
    turns = state.create_property("turns")

    async def logic(context: TurnContext) -> None:
        count = await turns.get(context, int) + 1
        await turns.set(context, count)
        await state.save_changes(context)
        await context.send_activity(f"turn {count}")

    adapter = TestAdapter(logic, user_message(""))
    adapter.on_turn_error = on_turn_error
    await adapter.receive_activity(user_message("hello"))
    return adapter.get_next_activity().text


async def test_the_user_is_told_of_an_outage_and_the_bot_answers_once_storage_is_back(
    private_redis: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    storage = RedisStorage(private_redis.url, key_prefix="bot:")
    try:
        assert await counting_bot_turn(storage) == "turn 1"
        private_redis.stop()
        assert await counting_bot_turn(storage) == STORAGE_UNAVAILABLE_REPLY
        assert "turn failed" in caplog.text

        private_redis.start()
        assert await counting_bot_turn(storage) == "turn 1"  # The restarted Redis starts empty.
        assert await counting_bot_turn(storage) == "turn 2"
    finally:
        await storage.close()


OUTAGE_STATE_KEY = "emulator/conversations/conv-outage"


async def _ask(bot: BotClient, connector: RecordingConnector, text: str, answers_so_far: int) -> str:
    """Send `text` in one Emulator conversation; return what the user sees in reply."""
    message = user_message_json(
        text, connector.url, channel_id="emulator", conversation_type=None, conversation_id="conv-outage"
    )
    status, _ = await bot.post_activity(message)
    assert status == 201  # Never a 5xx: Teams would send the message again.
    return (await connector.wait_for_answers(answers_so_far + 1))[-1]


async def test_through_the_bot_redis_down_gets_a_clear_reply_and_the_bot_answers_once_it_is_back(
    private_redis: PrivateRedis,
    start_bot: StartBot,
    model_env: dict[str, str],
    model_server: ModelServer,
    connector: RecordingConnector,
) -> None:
    model_server.token_delay = 0.0
    env = {**model_env, "STORAGE": "redis", "REDIS_URL": private_redis.url, "REDIS_KEY_PREFIX": "bot:"}
    bot = await start_bot(env)
    assert await _ask(bot, connector, "before", 0) == model_server.answer
    # The answer's turn saves its state after the answer is sent: let it, before the outage.
    storage = RedisStorage(private_redis.url, key_prefix="bot:")
    try:
        for _ in range(100):
            stored = await storage.read([OUTAGE_STATE_KEY])
            if len(stored.get(OUTAGE_STATE_KEY, {}).get("history", [])) == 2:
                break
            await asyncio.sleep(0.05)
    finally:
        await storage.close()

    private_redis.stop()
    assert await _ask(bot, connector, "during", 1) == STORAGE_UNAVAILABLE_REPLY
    assert len(model_server.requests) == 1  # No answer without the conversation's state.

    private_redis.start()  # An empty Redis: this one keeps nothing on disk.
    assert await _ask(bot, connector, "after", 2) == model_server.answer
    assert await _ask(bot, connector, "and again", 3) == model_server.answer
    assert [message["content"] for message in model_server.requests[-1].body["messages"][1:]] == [
        "after",
        model_server.answer,
        "and again",
    ]


async def test_through_the_bot_an_unusable_sqlite_file_gets_a_clear_reply_until_it_is_usable(
    start_bot: StartBot,
    model_env: dict[str, str],
    model_server: ModelServer,
    connector: RecordingConnector,
    tmp_path: Path,
) -> None:
    model_server.token_delay = 0.0
    folder = tmp_path / "data"
    folder.write_text("a file where the database's folder should be")
    bot = await start_bot(
        {**model_env, "STORAGE": "sqlite", "SQLITE_PATH": str(folder / "bot-state.sqlite3")}
    )
    assert await _ask(bot, connector, "during", 0) == STORAGE_UNAVAILABLE_REPLY
    assert model_server.requests == []

    folder.unlink()
    assert await _ask(bot, connector, "after", 1) == model_server.answer
