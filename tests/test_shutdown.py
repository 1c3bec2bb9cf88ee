"""Shutdown: no new turns, every open answer finished with its text so far and a note, then exit."""

from __future__ import annotations

from pathlib import Path

from streaming.notes import STOP_NOTES
from streaming.outcome import StopReason
from tests.conftest import StartBot
from tests.support.activities import user_message
from tests.support.bot_process import BotProcess
from tests.support.connector import RecordingConnector, is_stream_update
from tests.support.model_server import ModelServer

SHUTDOWN_NOTE = STOP_NOTES[StopReason.SHUTDOWN]


def slow(model_server: ModelServer) -> None:
    model_server.tokens = [f" word{number}" for number in range(100)]
    model_server.token_delay = 0.1


async def test_shutdown_finishes_open_answers_and_refuses_new_turns(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    slow(model_server)
    bot = await start_bot(model_env)
    await bot.post_activity(user_message("long answer please", connector.url))
    await connector.wait_until(lambda: any(is_stream_update(item) for item in connector.received))

    await bot.app.shutdown()  # what aiohttp runs on SIGTERM/SIGINT, before it stops serving

    [bubble] = connector.bubbles()
    assert bubble.endswith(f"\n\n{SHUTDOWN_NOTE}")
    assert model_server.answer.startswith(bubble.removesuffix(f"\n\n{SHUTDOWN_NOTE}"))
    assert model_server.disconnected.is_set()
    status, body = await bot.post_activity(user_message("anyone there?", connector.url))
    assert status == 503 and "shutting down" in body["error"]


async def test_sigterm_finishes_the_open_answer_saves_it_and_exits(
    model_server: ModelServer, connector: RecordingConnector, tmp_path: Path
) -> None:
    slow(model_server)
    env = {"OPENAI_BASE_URL": f"{model_server.url}/v1", "SQLITE_PATH": str(tmp_path / "state.sqlite3")}
    question = user_message("long answer please", connector.url)
    async with BotProcess(env) as bot:
        await bot.post(question)
        await connector.wait_until(lambda: any(is_stream_update(item) for item in connector.received))
        returncode, log = await bot.terminate()
    assert returncode == 0, log
    assert "finishing 1 open answers before shutdown" in log
    [bubble] = connector.bubbles()
    assert bubble.endswith(f"\n\n{SHUTDOWN_NOTE}")

    # The interrupted answer was saved: after a restart, the next question carries it.
    model_server.tokens = ["Sure."]
    follow_up = user_message("go on", connector.url, conversation_id=question["conversation"]["id"])
    async with BotProcess(env) as bot:
        await bot.post(follow_up)
        await connector.wait_for_answers(2)
    assert model_server.requests[-1].body["messages"][1:] == [
        {"role": "user", "content": "long answer please"},
        {"role": "assistant", "content": bubble},
        {"role": "user", "content": "go on"},
    ]
