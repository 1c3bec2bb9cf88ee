"""The Redis side's background tasks end when stopped, even when a cancellation is swallowed."""

from __future__ import annotations

import asyncio

from instances.stopping import stop_tasks


async def test_a_task_that_swallows_its_cancellation_is_cancelled_again_until_it_ends() -> None:
    swallowed = asyncio.Event()

    async def retrying_loop() -> None:
        """As a loop whose redis-py call turned the cancellation into an error it retries after."""
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if swallowed.is_set():
                    raise
                swallowed.set()

    task = asyncio.create_task(retrying_loop())
    await asyncio.sleep(0)  # the task is in its sleep
    await asyncio.wait_for(stop_tasks([task]), timeout=60)  # one cancel and a wait would never end
    assert swallowed.is_set()
    assert task.cancelled()


async def test_a_task_that_failed_before_it_was_stopped_has_its_error_taken() -> None:
    async def failing() -> None:
        raise RuntimeError("failed on its own")

    task = asyncio.create_task(failing())
    await asyncio.wait({task})
    await stop_tasks([task])
    assert isinstance(task.exception(), RuntimeError)
