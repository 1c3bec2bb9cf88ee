"""A clock the test moves: the streaming engine's sleeps and timed waits end only when it says."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")

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
        await self.advance_to(self._now + seconds)

    async def advance_to(self, target: float) -> None:
        """Move the clock on to `target`; every task due meanwhile runs at its time."""
        await settle()
        while (when := self._next_wake()) is not None and when <= target:
            _, _, wake = heapq.heappop(self._sleepers)
            self._now = max(self._now, when)
            wake.set_result(None)
            await settle()
        self._now = max(self._now, target)
        await settle()

    async def run_until_done(self, awaitable: Awaitable[T], *, within: float = 3600.0) -> T:
        """Await `awaitable`, moving the clock from one sleeper to the next until it is done.

        Fails if it is still running `within` seconds from now, or waits for something that no
        move of the clock can bring (it would hang otherwise).
        """
        task = asyncio.ensure_future(awaitable)
        deadline = self._now + within
        await settle()
        while not task.done():
            when = self._next_wake()
            if when is None or when > deadline:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                raise AssertionError(
                    f"still running at {self._now:g} s, with nothing due within {within:g} s"
                )
            await self.advance_to(when)
        return task.result()

    def _next_wake(self) -> float | None:
        """When the next sleeper still waiting is due, if any (sleeps cancelled meanwhile drop out)."""
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)
        return self._sleepers[0][0] if self._sleepers else None


async def settle() -> None:
    """Let every ready task run until each waits again (nothing here waits on real I/O)."""
    for _ in range(SETTLE_ROUNDS):
        await asyncio.sleep(0)
