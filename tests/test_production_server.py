"""How the bot is started for real: `python app.py`, and gunicorn through startup.sh (the container's and
App Service's command), each as a separate process reached over loopback."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import sys
from pathlib import Path

import aiohttp

from benchmarks.serving import free_port
from streaming.notes import STOP_NOTES
from streaming.outcome import StopReason
from tests.support.activities import user_message
from tests.support.bot_process import BotProcess
from tests.support.connector import RecordingConnector, is_stream_update

ROOT = Path(__file__).resolve().parent.parent
NO_APP_ID_LINE = "MicrosoftAppId is not set: requests are not authenticated (local development only)"


def startup_command() -> list[str]:
    """The Dockerfile's CMD, which App Service's startup command also runs."""
    cmd = re.search(r"^CMD\s+(\[.*\])\s*$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert cmd, "the Dockerfile has no exec-form CMD"
    return json.loads(cmd.group(1))


async def test_python_app_py_says_requests_are_not_authenticated_without_an_app_id() -> None:
    async with BotProcess({"STORAGE": "memory"}) as bot:
        returncode, log = await bot.terminate()
    assert returncode == 0
    assert NO_APP_ID_LINE in log


async def test_python_app_py_names_the_app_id_it_authenticates_for() -> None:
    env = {
        "STORAGE": "memory",
        "MicrosoftAppId": "6a1f2c3d-4b5e-4f60-8a7b-9c0d1e2f3a4b",
        "MicrosoftAppPassword": "x",
    }
    async with BotProcess(env) as bot:
        returncode, log = await bot.terminate()
    assert returncode == 0
    assert (
        "requests are authenticated: MicrosoftAppId 6a1f2c3d-4b5e-4f60-8a7b-9c0d1e2f3a4b (multitenant)" in log
    )
    assert NO_APP_ID_LINE not in log


def test_the_container_runs_startup_sh_which_runs_gunicorn_with_aiohttps_worker() -> None:
    assert startup_command() == ["sh", "startup.sh"]
    script = (ROOT / "startup.sh").read_text()
    [command] = [line for line in script.replace("\\\n", " ").splitlines() if line.startswith("exec ")]
    argv = shlex.split(command)
    assert argv[:3] == ["exec", "gunicorn", "app:init_app"]
    assert argv[argv.index("--worker-class") + 1] == "aiohttp.GunicornWebWorker"
    assert argv[argv.index("--bind") + 1] == "${HOST:-0.0.0.0}:${PORT:-8000}"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.MULTILINE)
    assert re.search(r"^USER bot$", dockerfile, re.MULTILINE)  # not root
    assert "RUN pip install -r requirements.txt" in dockerfile
    assert re.search(r"HOST=0\.0\.0\.0", dockerfile) and re.search(r"PORT=3978", dockerfile)
    assert re.search(r"^gunicorn==\S+$", (ROOT / "requirements.txt").read_text(), re.MULTILINE)


async def test_gunicorn_serves_answers_and_drains_on_sigterm(
    connector: RecordingConnector, tmp_path: Path
) -> None:
    env = {
        "STORAGE": "sqlite",
        "SQLITE_PATH": str(tmp_path / "state.sqlite3"),
        "OFFLINE_MODEL_TOKENS_PER_SECOND": "20",
    }
    async with BotProcess(env, argv=startup_command()) as bot, aiohttp.ClientSession() as session:
        async with session.get(f"{bot.url}/readyz") as response:
            assert response.status == 200
        assert await bot.post(user_message("hi", connector.url)) == 201
        [answer] = await connector.wait_for_answers()
        assert "You wrote: “hi”" in answer

        # A slow answer in progress when SIGTERM comes is finished with the shutdown note.
        connector.received.clear()
        assert await bot.post(user_message("a long one", connector.url, conversation_id="slow")) == 201
        await connector.wait_until(lambda: any(is_stream_update(item) for item in connector.received))
        returncode, log = await bot.terminate(within=30.0)
    assert returncode == 0
    [bubble] = connector.bubbles()
    assert bubble.endswith(STOP_NOTES[StopReason.SHUTDOWN])
    assert "Booting worker" in log and NO_APP_ID_LINE in log
    assert "Traceback" not in log


async def test_gunicorn_stops_at_once_on_a_configuration_error() -> None:
    process = await asyncio.create_subprocess_exec(
        *startup_command(),
        cwd=ROOT,
        env={
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOST": "127.0.0.1",
            "PORT": str(free_port()),
            "MODEL_TEMPERATURE": "hot",
        },
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    log = stderr.decode()
    assert process.returncode == 3, log  # gunicorn's "Worker failed to boot", not endless restarts
    assert "Configuration error: MODEL_TEMPERATURE must be a number, got 'hot'" in log
