"""Fixtures: a local model server, a recording Bot Connector, the bot and a private Redis, on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterator, Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Protocol

import aiohttp
import pytest

from answers.tools import Tool
from app import create_app
from config import DefaultConfig
from tests.support.bot import BotClient
from tests.support.connector import RecordingConnector
from tests.support.loopback import serve, served
from tests.support.model_server import ModelServer
from tests.support.redis_servers import PrivateRedis

# Long enough to span a few Teams updates at their real one-second pace.
ANSWER_TOKENS = [
    "Streaming",
    " lets",
    " you",
    " read",
    " the",
    " answer",
    " while",
    " it",
    " is",
    " written",
    ".",
]
ANSWER_TOKEN_DELAY = 0.25


class StartBot(Protocol):
    """Starts the bot with the given environment and the tools its model may call (None: the app's own)."""

    def __call__(self, env: dict[str, str], *, tools: Sequence[Tool] | None = ()) -> Awaitable[BotClient]: ...


@pytest.fixture
async def model_server() -> AsyncIterator[ModelServer]:
    async with served(ModelServer(tokens=ANSWER_TOKENS, token_delay=ANSWER_TOKEN_DELAY)) as server:
        yield server


@pytest.fixture
async def connector() -> AsyncIterator[RecordingConnector]:
    """A Teams-like connector; every test that uses it must keep to the stream protocol."""
    async with served(RecordingConnector()) as recorder:
        yield recorder
    assert recorder.protocol_errors == []


@pytest.fixture
async def start_bot(connector: RecordingConnector, model_server: ModelServer) -> AsyncIterator[StartBot]:
    """Start the bot with the given environment (no other settings leak in from the machine).

    The connector and the model server outlive the bot, so that its shutdown can finish answers.
    """
    async with AsyncExitStack() as stack:
        session = await stack.enter_async_context(aiohttp.ClientSession())

        async def start(env: dict[str, str], *, tools: Sequence[Tool] | None = ()) -> BotClient:
            app = create_app(DefaultConfig({"STORAGE": "memory", **env}), tools=tools)
            url = await stack.enter_async_context(serve(app))
            return BotClient(url, session, app)

        yield start


@pytest.fixture
def model_env(model_server: ModelServer) -> dict[str, str]:
    """Settings that point the bot's `openai` client at the local model server."""
    return {"OPENAI_BASE_URL": f"{model_server.url}/v1", "OPENAI_MODEL": "local-test-model"}


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A redis-server of this test's own, which the test may stop and start again (an outage that
    touches no other test)."""
    with PrivateRedis(tmp_path / "redis") as server:
        yield server
