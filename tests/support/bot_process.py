"""The bot as a separate `python app.py` process on a free loopback port, as an operator runs it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any, Self

import aiohttp

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
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
    """`python app.py` with only `env` (plus PATH, HOST and PORT); what it logs is kept in `log`."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = {"PATH": os.environ.get("PATH", ""), "HOST": "127.0.0.1", "PORT": str(self.port), **env}
        self.process: asyncio.subprocess.Process | None = None
        self._log: list[bytes] = []
        self._reader: asyncio.Task[None] | None = None

    @property
    def log(self) -> str:
        return b"".join(self._log).decode()

    async def __aenter__(self) -> Self:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "app.py", cwd=ROOT, env=self._env, stderr=asyncio.subprocess.PIPE
        )
        self._reader = asyncio.create_task(self._read_log())  # so that a full pipe never blocks the bot
        await _wait_until_healthy(self.url, self.process)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        if self._reader is not None:
            await self._reader

    async def _read_log(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        while chunk := await self.process.stderr.read(65536):
            self._log.append(chunk)

    async def post(self, activity: dict[str, Any], headers: dict[str, str] | None = None) -> int:
        """POST `activity` to /api/messages (with `headers`, such as a `traceparent`); return the status."""
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{self.url}/api/messages", json=activity, headers=headers) as response,
        ):
            return response.status

    async def terminate(self) -> tuple[int, str]:
        """SIGTERM, then the exit code and what the bot logged."""
        assert self.process is not None and self._reader is not None
        self.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.process.wait(), timeout=20)
        await self._reader
        return self.process.returncode or 0, self.log
