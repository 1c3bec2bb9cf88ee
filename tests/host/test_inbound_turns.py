"""Accepted message turns: one after another per conversation, conversations side by side, and each
counted as waiting for its first sign while it runs."""

from __future__ import annotations

import asyncio
import logging

import pytest

from host.inbound_turns import InboundTurns, Turn
from streaming import SignPriority

LOOP_TURNS = 20
"""Event-loop passes in which every turn that is not held would certainly have gone as far as it can."""


async def loop_turns() -> None:
    for _ in range(LOOP_TURNS):
        await asyncio.sleep(0)


class Script:
    """Turns that note when they start and end, each held until the test releases it."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.releases: dict[str, asyncio.Event] = {}

    def turn(self, name: str, *, held: bool = False, fails: bool = False) -> Turn:
        release = self.releases.setdefault(name, asyncio.Event())
        if not held:
            release.set()

        async def run() -> None:
            self.log.append(f"{name} started")
            await release.wait()
            if fails:
                raise RuntimeError(f"{name} failed")
            self.log.append(f"{name} ended")

        return run

    def release(self, name: str) -> None:
        self.releases[name].set()


async def test_a_conversations_turns_run_in_arrival_order_while_others_run_alongside() -> None:
    turns, script = InboundTurns(SignPriority()), Script()
    turns.accept("conv-a", script.turn("a1", held=True))
    turns.accept("conv-a", script.turn("a2", held=True))
    turns.accept("conv-a", script.turn("a3"))
    turns.accept("conv-b", script.turn("b1"))
    await loop_turns()
    assert script.log == ["a1 started", "b1 started", "b1 ended"]  # b1 did not wait for conv-a
    assert turns.active == 3

    script.release("a2")  # a2 may end, but only once it has started, after a1
    await loop_turns()
    assert script.log == ["a1 started", "b1 started", "b1 ended"]

    script.release("a1")
    await turns.wait_idle()
    assert script.log[3:] == ["a1 ended", "a2 started", "a2 ended", "a3 started", "a3 ended"]
    assert turns.active == 0


async def test_a_failing_turn_is_logged_and_the_next_one_still_runs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="host.inbound_turns")
    turns, script = InboundTurns(SignPriority()), Script()
    turns.accept("conv-a", script.turn("a1", fails=True))
    turns.accept("conv-a", script.turn("a2"))
    await turns.wait_idle()

    assert script.log == ["a1 started", "a2 started", "a2 ended"]
    [record] = caplog.records
    assert "conv-a" in record.getMessage()
    assert record.exc_info is not None and str(record.exc_info[1]) == "a1 failed"


async def test_wait_idle_waits_for_every_accepted_turn() -> None:
    turns, script = InboundTurns(SignPriority()), Script()
    await asyncio.wait_for(turns.wait_idle(), timeout=60)  # nothing accepted: idle at once

    turns.accept("conv-a", script.turn("a1", held=True))
    turns.accept("conv-b", script.turn("b1", held=True))
    idle = asyncio.ensure_future(turns.wait_idle())
    await loop_turns()
    script.release("a1")
    await loop_turns()
    assert not idle.done(), "b1 has not ended"
    assert turns.active == 1

    script.release("b1")
    await loop_turns()
    assert idle.done()
    assert turns.active == 0


async def test_shutdown_waits_for_the_accepted_turns() -> None:
    turns, script = InboundTurns(SignPriority()), Script()
    turns.accept("conv-a", script.turn("a1", held=True))
    turns.accept("conv-a", script.turn("a2"))
    shutdown = asyncio.ensure_future(turns.shutdown(grace_seconds=3600))
    await loop_turns()
    assert not shutdown.done()

    script.release("a1")
    await shutdown
    assert script.log == ["a1 started", "a1 ended", "a2 started", "a2 ended"]
    assert turns.active == 0


async def test_shutdown_gives_up_on_turns_that_outlast_the_grace(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="host.inbound_turns")
    turns, script = InboundTurns(SignPriority()), Script()
    turns.accept("conv-a", script.turn("a1", held=True))
    await asyncio.wait_for(turns.shutdown(grace_seconds=0.001), timeout=60)

    assert turns.active == 1  # still running: shutdown went on without it
    assert any("did not finish" in message for message in caplog.messages)
    script.release("a1")
    await turns.wait_idle()


async def test_each_running_turn_waits_for_its_first_sign_until_it_settles_or_ends() -> None:
    priority = SignPriority(max_defer=3600.0)
    turns = InboundTurns(priority)
    signed = asyncio.Event()
    release = asyncio.Event()

    async def shows_a_sign() -> None:
        await signed.wait()
        priority.settle("conv-a")  # as `BackgroundAnswers.run` does once the sign is out
        await release.wait()

    script = Script()
    turns.accept("conv-a", shows_a_sign)
    turns.accept("conv-a", script.turn("a2", held=True))  # not started yet: does not count
    turns.accept("conv-b", script.turn("b1", held=True))
    await loop_turns()
    assert priority.waiting == 2  # a1 and b1

    signed.set()
    await loop_turns()
    assert priority.waiting == 1  # b1 only: a1 showed its sign and still runs, a2 has not started

    release.set()
    await loop_turns()
    assert script.log == ["b1 started", "a2 started"]
    assert priority.waiting == 2  # a2 now waits for its sign

    script.release("b1")
    script.release("a2")
    await turns.wait_idle()
    assert priority.waiting == 0  # turns that end without a sign settle too


async def test_a_failing_turn_settles_its_priority() -> None:
    priority = SignPriority(max_defer=3600.0)
    turns, script = InboundTurns(priority), Script()
    turns.accept("conv-a", script.turn("a1", fails=True))
    await turns.wait_idle()
    assert priority.waiting == 0
    deferred = asyncio.ensure_future(priority.deferred())
    await asyncio.sleep(0)
    assert deferred.done()
