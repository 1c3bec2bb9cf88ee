"""Fixtures of the model tests: a server that replays recorded model streams."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.loopback import serve
from tests.support.replay_server import ReplayServer


@pytest.fixture
async def replay() -> AsyncIterator[ReplayServer]:
    """A replay server on loopback with nothing to replay yet: set its `recordings`."""
    server = ReplayServer([])
    async with serve(server.app()) as url:
        server.url = url
        yield server
