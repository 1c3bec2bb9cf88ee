"""Ending the background tasks of the Redis side, also when redis-py swallows their cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

CANCEL_AGAIN_AFTER = 1.0
"""Seconds a cancelled task may take before it is cancelled again."""


async def stop_tasks(tasks: Iterable[asyncio.Task[None]]) -> None:
    """Cancel `tasks` and wait until every one has ended.

    A cancellation that lands inside a redis-py command can come out as a `RedisError`, which a
    retrying loop takes for a failed call and goes on: such a task is cancelled again until it ends
    (a single `cancel` then `gather` waited for ever: seen in the tests' teardown).
    """
    tasks = list(tasks)
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=CANCEL_AGAIN_AFTER)
    for task in tasks:
        if not task.cancelled():
            task.exception()  # retrieved: a task that failed before it was stopped was logged by itself
