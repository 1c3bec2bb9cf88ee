"""Fixtures: the Agents SDK host as a process of its own environment, with the connector and model."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import aiohttp
import pytest

from tests.support.agents_host import agents_host_process
from tests.support.bot_process import BotProcess
from tests.support.connector import RecordingConnector
from tests.support.model_server import ModelServer

StartHost = Callable[[dict[str, str]], Awaitable[BotProcess]]


@pytest.fixture
async def start_host(connector: RecordingConnector, model_server: ModelServer) -> AsyncIterator[StartHost]:
    """Start the host with the model server and `env`. The connector and the model server outlive
    it, so that its shutdown can finish answers. The model gets no tools unless `env` sets a
    KNOWLEDGE_DIR."""
    async with AsyncExitStack() as stack:

        async def start(env: dict[str, str]) -> BotProcess:
            settings = {
                "OPENAI_BASE_URL": f"{model_server.url}/v1",
                "OPENAI_MODEL": "local-test-model",
                "KNOWLEDGE_DIR": "",
                **env,
            }
            return await stack.enter_async_context(agents_host_process(settings))

        yield start


async def metrics_when(host: BotProcess, *lines: str, within: float = 10.0) -> str:
    """GET /metrics until it has every line in `lines`: how a test knows that a turn has ended (an
    answer's turn saves the history after its final message, and reports after it)."""
    async with aiohttp.ClientSession() as session, asyncio.timeout(within):
        while True:
            async with session.get(f"{host.url}/metrics") as response:
                text = await response.text()
            if all(re.search(f"^{re.escape(line)}$", text, re.MULTILINE) for line in lines):
                return text
            await asyncio.sleep(0.05)


# The binding's own tests import the Agents SDK: they run in its environment (test_in_agents_venv.py).
collect_ignore = ["sdk"]
