"""The Agents SDK host as `python -m agents_host` from its own environment, on a free loopback port."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, Self

import aiohttp
import pytest

from agents_host.venv import agents_python, ensure_agents_venv
from tests.support.bot_process import ROOT, free_port


def agents_venv() -> Path:
    """The Agents SDK environment's interpreter; built on first use (about a minute, from PyPI).

    AGENTS_VENV=skip skips these tests on a machine that cannot install packages.
    """
    if os.environ.get("AGENTS_VENV") == "skip":
        python = agents_python()
        if python is None:
            pytest.skip("AGENTS_VENV=skip and .venv-agents is not built: run `python -m agents_host.venv`")
        return python
    return ensure_agents_venv()


class AgentsHostProcess:
    """The host with only `env` (plus PATH, HOST and PORT); what it logs is kept in `log`."""

    def __init__(self, python: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._python = python
        self._env = {"PATH": os.environ.get("PATH", ""), "HOST": "127.0.0.1", "PORT": str(self.port), **env}
        self.process: asyncio.subprocess.Process | None = None
        self._log: list[bytes] = []
        self._reader: asyncio.Task[None] | None = None

    @property
    def log(self) -> str:
        return b"".join(self._log).decode()

    async def __aenter__(self) -> Self:
        self.process = await asyncio.create_subprocess_exec(
            str(self._python), "-m", "agents_host", cwd=ROOT, env=self._env, stderr=asyncio.subprocess.PIPE
        )
        self._reader = asyncio.create_task(self._read_log())  # so that a full pipe never blocks the host
        async with aiohttp.ClientSession() as session:
            for _ in range(400):
                assert self.process.returncode is None, f"the host exited during start-up:\n{self.log}"
                try:
                    async with session.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            return self
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)  # not listening yet
        raise TimeoutError(f"the host did not start:\n{self.log}")

    async def __aexit__(self, *_exc: object) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), timeout=20)
        if self._reader is not None:
            await self._reader

    async def _read_log(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        while chunk := await self.process.stderr.read(65536):
            self._log.append(chunk)

    async def post(self, activity: dict[str, Any] | bytes) -> tuple[int, str]:
        """POST an activity (or raw bytes) to /api/messages; the status and the body."""
        async with aiohttp.ClientSession() as session:
            if isinstance(activity, bytes):
                request = session.post(
                    f"{self.url}/api/messages", data=activity, headers={"Content-Type": "application/json"}
                )
            else:
                request = session.post(f"{self.url}/api/messages", json=activity)
            async with request as response:
                return response.status, await response.text()
