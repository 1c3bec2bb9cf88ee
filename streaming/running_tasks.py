"""Background tasks that have not ended yet, so that shutdown and tests can wait for them."""

from __future__ import annotations

import asyncio


class RunningTasks:
    """The tasks added and still running; `wait_idle` returns once none is."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    def __len__(self) -> int:
        return len(self._tasks)

    def add(self, task: asyncio.Task[None]) -> None:
        """Count `task` until it ends."""
        self._tasks.add(task)
        self._idle.clear()
        task.add_done_callback(self._ended)

    def snapshot(self) -> set[asyncio.Task[None]]:
        """The tasks running now."""
        return set(self._tasks)

    async def wait_idle(self) -> None:
        """Wait until no task is running."""
        await self._idle.wait()

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()
