"""A bot process for the race test: its turns of one conversation race another process's to save."""

from __future__ import annotations

import asyncio
import traceback
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

from botbuilder.core import ConversationState

from storage import StorageSettings, create_storage, save_with_retry
from tests.storage.turns import turn_context

# Enough for the free-running turns, where the other process may save between a reload and a save.
ATTEMPTS = 20


def run_turns(backend: StorageSettings, rounds: int, barrier: Barrier, results: Queue) -> None:
    """Process entry: `rounds` turns in lock step with the other process, then `rounds` free-running.

    Each turn loads the conversation state, adds 1 to `count` and saves with `save_with_retry`. Puts
    ("ok", merges) or ("error", traceback) on `results`.
    """
    try:
        results.put(("ok", asyncio.run(_turns(backend, rounds, barrier))))
    except BaseException:
        results.put(("error", traceback.format_exc()))
        raise


async def _turns(backend: StorageSettings, rounds: int, barrier: Barrier) -> int:
    storage = create_storage(backend)
    state = ConversationState(storage)
    count = state.create_property("count")
    merges = 0

    def reapply(fresh: dict[str, object]) -> None:
        nonlocal merges
        merges += 1
        fresh["count"] = fresh.get("count", 0) + 1

    try:
        for turn in range(2 * rounds):
            context = turn_context()
            await state.load(context)
            await count.set(context, await count.get(context, int) + 1)
            if turn < rounds:
                # Both processes have now loaded the same state, and both are about to save it.
                await asyncio.to_thread(barrier.wait)
            await save_with_retry(state, context, reapply, attempts=ATTEMPTS)
    finally:
        await storage.close()
    return merges
