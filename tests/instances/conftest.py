"""Fixtures: several bot instances on Redis behind HAProxy, the local model, and a strict connector."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Protocol

import pytest

from tests.support.connector import RecordingConnector
from tests.support.instances import BotInstances
from tests.support.loopback import served
from tests.support.model_server import ModelServer
from tests.support.redis_servers import SHARED_REDIS_URL, shared_redis_prefix

INSTANCES = 3


class StartInstances(Protocol):
    """Starts `count` instances behind the balancer with `env` over the defaults, on Redis at `redis_url`;
    `overrides` changes some settings of some instances, by name ("bot2")."""

    def __call__(
        self,
        env: dict[str, str] | None = None,
        *,
        count: int = INSTANCES,
        redis_url: str = SHARED_REDIS_URL,
        overrides: dict[str, dict[str, str]] | None = None,
    ) -> Awaitable[BotInstances]: ...


@pytest.fixture
async def connector() -> AsyncIterator[RecordingConnector]:
    """Teams' connector, strict: one stream request a second per conversation, whichever instance sends
    (a 429 otherwise, which `throttled()` lists); every test here must keep to the stream protocol."""
    async with served(RecordingConnector(conversation_rate_limit_interval=1.0)) as recorder:
        yield recorder
    assert recorder.protocol_errors == []


@pytest.fixture
async def start_instances(
    connector: RecordingConnector, model_server: ModelServer, tmp_path: Path
) -> AsyncIterator[StartInstances]:
    """Start instances of `python app.py` (STORAGE=redis, a key prefix of their own, answering with the
    local model server, replying to the connector) behind HAProxy; all stopped when the test ends.

    The connector and the model server outlive them, so that their shutdown can finish answers.
    """
    async with AsyncExitStack() as stack:

        async def start(
            env: dict[str, str] | None = None,
            *,
            count: int = INSTANCES,
            redis_url: str = SHARED_REDIS_URL,
            overrides: dict[str, dict[str, str]] | None = None,
        ) -> BotInstances:
            if redis_url == SHARED_REDIS_URL:
                prefix = stack.enter_context(shared_redis_prefix())
            else:
                prefix = f"test-{uuid.uuid4().hex}:"  # a private Redis is gone with its test
            settings = {
                "STORAGE": "redis",
                "REDIS_URL": redis_url,
                "REDIS_KEY_PREFIX": prefix,
                "OPENAI_BASE_URL": f"{model_server.url}/v1",
                "OPENAI_MODEL": "local-test-model",
                "KNOWLEDGE_DIR": "",  # no index to build: the instances start and answer sooner
                **(env or {}),
            }
            workdir = tmp_path / f"balancer-{uuid.uuid4().hex[:8]}"
            workdir.mkdir()
            instances = BotInstances(count, settings, connector.url, workdir, overrides)
            return await stack.enter_async_context(instances)

        yield start
