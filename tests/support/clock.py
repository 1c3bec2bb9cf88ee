"""A clock the test moves: the streaming engine's sleeps and timed waits end only when it says."""

from __future__ import annotations

import asyncio
import heapq
import itertools

SETTLE_ROUNDS = 50
"""Event-loop passes that let every task woken by a move of the clock run until it waits again."""


class ManualClock:
    """Starts at 0; `advance` moves it, waking each sleeper at its own time, in order."""

    def __init__(self) -> None:
        self._now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._order), wake))
        await wake

    async def wait(self, event: asyncio.Event, seconds: float) -> bool:
        if event.is_set():
            return True
        timer = asyncio.ensure_future(self.sleep(seconds))
        waiter = asyncio.ensure_future(event.wait())
        try:
            await asyncio.wait({timer, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
            waiter.cancel()
        return event.is_set()

    async def advance(self, seconds: float) -> None:
        """Move the clock `seconds` on; every task due meanwhile runs at its time."""
        target = self._now + seconds
        await settle()
        while self._sleepers and self._sleepers[0][0] <= target:
            when, _, wake = heapq.heappop(self._sleepers)
            self._now = max(self._now, when)
            if not wake.done():
                wake.set_result(None)
                await settle()
        self._now = target
        await settle()


async def settle() -> None:
    """Let every ready task run until each waits again (nothing here waits on real I/O)."""
    for _ in range(SETTLE_ROUNDS):
        await asyncio.sleep(0)
