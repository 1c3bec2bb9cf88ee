"""The bot as a separate process on a free loopback port, started the way an operator starts it."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import tempfile
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import aiohttp

from benchmarks.serving import LOOPBACK, free_port
from tests.support.processes import ManagedProcess, StartedInWith

ROOT = Path(__file__).resolve().parent.parent.parent
PYTHON_APP = (sys.executable, "app.py")


class BotProcess(StartedInWith):
    """`python app.py` (or `argv`, such as the production command) with only `env`, plus PATH, HOST,
    PORT and a SQLite file of its own; what it writes to stderr is kept in `log`.

    `with` or `async with` starts it and waits until /healthz answers; leaving the block stops its
    process group (SIGTERM, then SIGKILL), also after a failure, and removes its files.
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        argv: Sequence[str] = PYTHON_APP,
        startup_timeout: float = 30.0,
    ) -> None:
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.endpoint = f"{self.url}/api/messages"
        self._workdir = Path(tempfile.mkdtemp(prefix="bot-"))
        self._argv = list(argv)
        self._env = {
            # The venv's bin first: gunicorn is installed there.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOST": LOOPBACK,
            "PORT": str(self.port),
            # The default storage, in a file of this run rather than in the repository.
            "SQLITE_PATH": str(self._workdir / "bot-state.sqlite3"),
            **(env or {}),
        }
        self._startup_timeout = startup_timeout
        self.process = ManagedProcess("bot", self._workdir / "bot.log")

    @property
    def sqlite_path(self) -> Path:
        """The bot's SQLite state file (its default storage)."""
        return Path(self._env["SQLITE_PATH"])

    @property
    def log(self) -> str:
        return self.process.output()

    def start(self) -> Self:
        """Start the bot and wait until GET /healthz answers 200."""
        self.spawn()
        self.wait_until_healthy()
        return self

    def stop(self) -> None:
        """Stop the bot's process group and remove its files."""
        self.process.stop()
        shutil.rmtree(self._workdir, ignore_errors=True)

    async def __aenter__(self) -> Self:
        # Started from the event loop's thread, the test run's main one (see ManagedProcess.spawn);
        # waited for in another, so that the servers of the test's loop keep answering meanwhile.
        self.spawn()
        try:
            await asyncio.to_thread(self.wait_until_healthy)
        except BaseException:
            await asyncio.to_thread(self.stop)
            raise
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await asyncio.to_thread(self.stop)  # a graceful stop may still call the test's servers

    async def post(self, activity: dict[str, Any], headers: dict[str, str] | None = None) -> int:
        """POST `activity` to /api/messages (with `headers`, such as a `traceparent`); return the status."""
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.endpoint, json=activity, headers=headers) as response,
        ):
            return response.status

    async def terminate(self, within: float = 20.0) -> tuple[int, str]:
        """SIGTERM, as a platform stops the bot; then its exit code and what it logged."""
        proc = self.process.proc
        assert proc is not None
        proc.send_signal(signal.SIGTERM)
        returncode = await asyncio.to_thread(proc.wait, within)
        return returncode, self.log

    def save_artifacts(self, dest: Path) -> None:
        """Copy the bot's log into `dest`."""
        dest.mkdir(parents=True, exist_ok=True)
        if self.process.log_path.exists():
            shutil.copy(self.process.log_path, dest / "bot.log")

    def spawn(self) -> None:
        """Start the bot's process, without waiting for it (several bots start side by side so)."""
        # Only stderr is kept: with LOG_FORMAT=json every line of it is one JSON object.
        self.process.spawn(self._argv, cwd=ROOT, env=self._env, keep_stdout=False)

    def wait_until_healthy(self) -> None:
        """Wait until GET /healthz answers 200; fail if the bot exits or takes too long."""
        self.process.wait_until(self._healthy, timeout=self._startup_timeout, what="200 from /healthz")

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=1.0) as response:
                return response.status == 200
        except OSError:
            return False
