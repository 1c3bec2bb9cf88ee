"""Work that can wait lets the messages still without a first sign go first, but is never starved."""

from __future__ import annotations

import asyncio

from streaming import SignPriority

LOOP_TURNS = 20
"""Event-loop passes in which a deferred task that is not held would certainly have returned."""


async def loop_turns() -> None:
    for _ in range(LOOP_TURNS):
        await asyncio.sleep(0)


async def test_deferred_returns_at_once_when_no_message_waits() -> None:
    priority = SignPriority()
    deferred = asyncio.ensure_future(priority.deferred())
    await asyncio.sleep(0)
    assert deferred.done()
    assert priority.waiting == 0


async def test_deferred_waits_while_a_message_waits_and_returns_once_it_settled() -> None:
    priority = SignPriority(max_defer=3600.0)
    priority.expect("conv-a")
    priority.expect("conv-b")
    deferred = asyncio.ensure_future(priority.deferred())

    await loop_turns()
    assert not deferred.done()
    priority.settle("conv-a")
    await loop_turns()
    assert not deferred.done(), "conv-b's message still waits for its first sign"
    assert priority.waiting == 1

    priority.settle("conv-b")
    await loop_turns()
    assert deferred.done()
    assert priority.waiting == 0


async def test_deferred_gives_up_after_max_defer() -> None:
    priority = SignPriority(max_defer=0.001)
    priority.expect("conv-a")
    await asyncio.wait_for(priority.deferred(), timeout=60)  # would hang without the bound
    assert priority.waiting == 1  # the message still waits; only the deferred work went on


async def test_settle_is_idempotent() -> None:
    priority = SignPriority(max_defer=3600.0)
    priority.settle("never-expected")
    priority.expect("conv-a")
    priority.expect("conv-b")
    priority.settle("conv-a")
    priority.settle("conv-a")
    assert priority.waiting == 1
    deferred = asyncio.ensure_future(priority.deferred())
    await loop_turns()
    assert not deferred.done(), "settling conv-a twice must not count as conv-b settling"

    priority.settle("conv-b")
    priority.settle("conv-b")
    await loop_turns()
    assert deferred.done()
    assert priority.waiting == 0


async def test_a_new_message_waiting_holds_deferred_work_again() -> None:
    priority = SignPriority(max_defer=3600.0)
    priority.expect("conv-a")
    priority.settle("conv-a")
    priority.expect("conv-a")
    deferred = asyncio.ensure_future(priority.deferred())
    await loop_turns()
    assert not deferred.done()
    priority.settle("conv-a")
    await loop_turns()
    assert deferred.done()
