"""Shutdown: no new turns, every open answer finished with its text so far and a note, then exit."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

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


async def test_sigterm_finishes_the_open_answer_and_exits(
    model_server: ModelServer, connector: RecordingConnector
) -> None:
    slow(model_server)
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "OPENAI_BASE_URL": f"{model_server.url}/v1",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "app.py", cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        url = f"http://127.0.0.1:{port}"
        await _wait_until_healthy(url, process)
        async with aiohttp.ClientSession() as session:
            await session.post(f"{url}/api/messages", json=user_message("long answer please", connector.url))
        await connector.wait_until(lambda: any(is_stream_update(item) for item in connector.received))

        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0, stderr.decode()
    [bubble] = connector.bubbles()
    assert bubble.endswith(f"\n\n{SHUTDOWN_NOTE}")
    assert "finishing 1 open answers before shutdown" in stderr.decode()
