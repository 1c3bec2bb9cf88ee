"""Messages work towards their first sign first come, first served, and work that can wait lets them go
first; neither wait starves anything."""

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
    await priority.admit("conv-a")
    await priority.admit("conv-b")
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
    await priority.admit("conv-a")
    await asyncio.wait_for(priority.deferred(), timeout=60)  # would hang without the bound
    assert priority.waiting == 1  # the message still waits; only the deferred work went on


async def test_settle_is_idempotent() -> None:
    priority = SignPriority(max_defer=3600.0)
    priority.settle("never-expected")
    await priority.admit("conv-a")
    await priority.admit("conv-b")
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
    await priority.admit("conv-a")
    priority.settle("conv-a")
    await priority.admit("conv-a")
    deferred = asyncio.ensure_future(priority.deferred())
    await loop_turns()
    assert not deferred.done()
    priority.settle("conv-a")
    await loop_turns()
    assert deferred.done()


async def test_at_most_concurrency_messages_work_towards_their_sign_the_rest_in_arrival_order() -> None:
    priority = SignPriority(max_defer=3600.0, concurrency=2)
    await priority.admit("conv-a")
    await priority.admit("conv-b")
    third = asyncio.ensure_future(priority.admit("conv-c"))
    fourth = asyncio.ensure_future(priority.admit("conv-d"))
    await loop_turns()
    assert not third.done() and not fourth.done()
    assert priority.waiting == 4  # queued messages wait for their first sign too

    priority.settle("conv-b")
    await loop_turns()
    assert third.done() and not fourth.done(), "the first queued goes first"
    priority.settle("conv-a")
    await loop_turns()
    assert fourth.done()
    for key in ("conv-c", "conv-d"):
        priority.settle(key)
    assert priority.waiting == 0


async def test_a_queued_message_goes_on_after_max_defer() -> None:
    priority = SignPriority(max_defer=0.001, concurrency=1)
    await priority.admit("conv-a")  # holds its place, as a turn waiting for an earlier answer does
    await asyncio.wait_for(priority.admit("conv-b"), timeout=60)  # would hang without the bound
    assert priority.waiting == 2
    priority.settle("conv-a")
    priority.settle("conv-b")
    assert priority.waiting == 0


async def test_a_cancelled_admission_leaves_no_place_behind() -> None:
    priority = SignPriority(max_defer=3600.0, concurrency=1)
    await priority.admit("conv-a")
    queued = asyncio.ensure_future(priority.admit("conv-b"))
    await loop_turns()
    queued.cancel()
    await asyncio.gather(queued, return_exceptions=True)
    priority.settle("conv-b")  # what InboundTurns does when the turn's task ends
    later = asyncio.ensure_future(priority.admit("conv-c"))
    priority.settle("conv-a")
    await loop_turns()
    assert later.done(), "the cancelled admission must not have kept conv-c waiting"
