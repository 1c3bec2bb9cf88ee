"""Fixtures of the engine's unit tests: a clock the test moves, and an in-memory channel on it."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from streaming import pacing
from tests.support.clock import ManualClock
from tests.support.memory_channel import MemoryChannel


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def channel(clock: ManualClock) -> Iterator[MemoryChannel]:
    """The answer's channel; every test that uses it must keep to the stream rules."""
    port = MemoryChannel(clock)
    yield port
    assert port.protocol_errors == []


@pytest.fixture
def longest_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoffs wait their longest instead of a random part of it, so that retry times are exact."""
    monkeypatch.setattr(pacing, "random", SimpleNamespace(uniform=lambda _shortest, longest: longest))
