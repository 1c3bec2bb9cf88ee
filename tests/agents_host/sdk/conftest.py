"""Fixtures of the tests that run inside the Agents SDK environment (see test_in_agents_venv.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import TurnContext
from microsoft_agents.hosting.core.authorization import ClaimsIdentity

from agents_host.auth import connections
from config import DefaultConfig
from host import on_turn_error
from tests.support.connector import RecordingConnector
from tests.support.loopback import serve

InTurn = Callable[[dict[str, Any], Callable[[TurnContext], Awaitable[None]]], Awaitable[None]]


@pytest.fixture
async def connector() -> AsyncIterator[RecordingConnector]:
    """A Teams-like connector; every test that uses it must keep to the stream protocol."""
    recorder = RecordingConnector()
    async with serve(recorder.app()) as url:
        recorder.url = url
        yield recorder
    assert recorder.protocol_errors == []


@pytest.fixture
def in_turn() -> InTurn:
    """Run `work` in a continuation turn of the conversation of `inbound` (JSON), as the host does."""
    _auth, connection_manager = connections(DefaultConfig({}))
    adapter = CloudAdapter(connection_manager=connection_manager)

    async def run(inbound: dict[str, Any], work: Callable[[TurnContext], Awaitable[None]]) -> None:
        failures: list[Exception] = []

        async def record(context: TurnContext, error: Exception) -> None:
            failures.append(error)
            await on_turn_error(context, error)

        adapter.on_turn_error = record
        reference = Activity.model_validate(inbound).get_conversation_reference()
        await adapter.continue_conversation_with_claims(
            ClaimsIdentity(), reference.get_continuation_activity(), work
        )
        if failures:
            raise failures[0]

    return run
