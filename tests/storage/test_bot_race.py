"""Two `python app.py` processes sharing one storage answer one conversation: no turn is lost.

Messages of one conversation go to both bots at the same moment, round after round, as a load
balancer might spread them. Each bot answers in a turn of its own and saves with eTags; when the
other bot saved first, the loser reloads and merges (storage.save_with_retry, TurnStateSaver).
In the end the stored history must hold every question and its answer, each exactly once.

On Redis the two bots also share the conversation's lease (instances/): they take turns as one bot
does, so the message that comes second interrupts the answer to the first, and nothing is merged.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from storage import ClosableStorage, RedisStorage, SqliteStorage
from streaming import StopReason
from streaming.notes import STOP_NOTES
from tests.support.activities import user_message
from tests.support.bot_process import BotProcess
from tests.support.connector import RecordingConnector
from tests.support.model_server import ModelServer
from tests.support.redis_servers import SHARED_REDIS_URL

ROUNDS = 12
CONVERSATION_ID = "conv-race"
STATE_KEY = f"emulator/conversations/{CONVERSATION_ID}"  # ConversationState's key for it

OpenStorage = Callable[[], ClosableStorage]


@pytest.fixture(params=["sqlite", "redis"])
def shared_storage(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[dict[str, str], OpenStorage]:
    """The bots' storage settings, and how the test opens the same storage to read it."""
    if request.param == "sqlite":
        path = str(tmp_path / "bot-state.sqlite3")
        return {"STORAGE": "sqlite", "SQLITE_PATH": path}, lambda: SqliteStorage(path)
    prefix = request.getfixturevalue("redis_prefix")
    env = {"STORAGE": "redis", "REDIS_URL": SHARED_REDIS_URL, "REDIS_KEY_PREFIX": prefix}
    return env, lambda: RedisStorage(SHARED_REDIS_URL, key_prefix=prefix)


def answer_to(messages: list[dict[str, Any]]) -> list[str]:
    return [f"Answer to {messages[-1]['content']}"]


async def test_two_bot_processes_racing_on_one_conversation_lose_no_turn(
    shared_storage: tuple[dict[str, str], OpenStorage],
    model_server: ModelServer,
    connector: RecordingConnector,
) -> None:
    env, open_storage = shared_storage
    model_server.token_delay = 0.0
    model_server.answer_with = answer_to
    env = {
        **env,
        "OPENAI_BASE_URL": f"{model_server.url}/v1",
        "HISTORY_CHAR_BUDGET": "1000000",
        # One user sends every message: the per-user rate limit must not refuse any.
        "USER_MESSAGE_BURST": "1000",
        "USER_MESSAGES_PER_MINUTE": "10000",
    }

    def question(number: int) -> dict[str, Any]:
        # The Emulator's channel: the answer comes as one message, with no stream pacing.
        return user_message(
            f"question {number}",
            connector.url,
            channel_id="emulator",
            conversation_type=None,
            conversation_id=CONVERSATION_ID,
        )

    async with BotProcess(env) as first, BotProcess(env) as second:
        for round_number in range(ROUNDS):
            statuses = await asyncio.gather(
                first.post(question(2 * round_number)), second.post(question(2 * round_number + 1))
            )
            assert statuses == [201, 201]
            await connector.wait_for_answers(2 * (round_number + 1))
        # SIGTERM: each bot finishes its open answers, saves their state, and exits.
        logs = [await bot.terminate() for bot in (first, second)]
    assert [code for code, _ in logs] == [0, 0], logs

    storage = open_storage()
    try:
        history = (await storage.read([STATE_KEY]))[STATE_KEY]["history"]
    finally:
        await storage.close()
    conflicts = sum(len(re.findall("state save conflict", log)) for _, log in logs)
    print(f"\n{env['STORAGE']}: {len(history)} history entries, {conflicts} save conflicts merged")

    questions = [entry["content"] for entry in history[0::2]]
    assert sorted(questions) == sorted(f"question {number}" for number in range(2 * ROUNDS))
    interrupted = {
        "role": "assistant",
        "content": STOP_NOTES[StopReason.NEW_MESSAGE],
        "outcome": "interrupted",
    }
    for asked, answered in zip(history[0::2], history[1::2], strict=True):
        assert asked["role"] == "user"
        if env["STORAGE"] == "redis" and answered == interrupted:
            continue  # The other bot's message came while this one was answering.
        assert answered == {
            "role": "assistant",
            "content": f"Answer to {asked['content']}",
            "outcome": "complete",
        }
    if env["STORAGE"] == "redis":
        assert conflicts == 0, "the bots did not take turns: they saved at the same time"
        assert interrupted in history[1::2], "the bots never raced: the test proved nothing"
    else:
        assert conflicts > 0, "the bots never raced: the test proved nothing"
