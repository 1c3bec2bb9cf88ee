"""Shutdown: no new turns, every open answer finished with its text so far and a note, then exit."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Self

import aiohttp

from streaming.answer_stream import STOP_NOTES, StopReason
from tests.conftest import StartBot
from tests.support.activities import user_message
from tests.support.connector import RecordingConnector, is_stream_update
from tests.support.model_server import ModelServer

ROOT = Path(__file__).resolve().parent.parent
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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _wait_until_healthy(url: str, process: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            assert process.returncode is None, "the bot exited during start-up"
            try:
                async with session.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)  # not listening yet
        raise TimeoutError("the bot did not start")


class BotProcess:
    """`python app.py` as a separate process, as an operator runs it."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = {"PATH": os.environ.get("PATH", ""), "HOST": "127.0.0.1", "PORT": str(self.port), **env}
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Self:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "app.py", cwd=ROOT, env=self._env, stderr=asyncio.subprocess.PIPE
        )
        await _wait_until_healthy(self.url, self.process)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    async def post(self, activity: dict) -> None:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{self.url}/api/messages", json=activity),
        ):
            pass

    async def terminate(self) -> tuple[int, str]:
        """SIGTERM, then the exit code and what the bot logged."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(self.process.communicate(), timeout=20)
        return self.process.returncode or 0, stderr.decode()


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
