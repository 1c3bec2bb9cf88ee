"""Two bot processes sharing one storage: racing turns of one conversation never lose a write."""

from __future__ import annotations

import asyncio
import multiprocessing

from storage import StorageSettings, create_storage
from tests.storage.race_worker import run_turns
from tests.storage.turns import CONVERSATION_KEY

ROUNDS = 40


async def test_racing_turns_in_two_processes_lose_no_increment(shared_backend: StorageSettings) -> None:
    """Each process adds 1 per turn, through `save_with_retry`; the total must be every turn's 1."""
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(2, timeout=60)
    results = spawn.Queue()
    workers = [spawn.Process(target=run_turns, args=(shared_backend, ROUNDS, barrier, results)) for _ in "ab"]
    for worker in workers:
        worker.start()
    try:
        outcomes = [await asyncio.to_thread(results.get, timeout=60) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=30)
    assert [status for status, _ in outcomes] == ["ok", "ok"], outcomes

    storage = create_storage(shared_backend)
    try:
        count = (await storage.read([CONVERSATION_KEY]))[CONVERSATION_KEY]["count"]
    finally:
        await storage.close()
    merges = sum(merged for _, merged in outcomes)
    print(
        f"\n{shared_backend.kind}: {count} increments, {merges} conflicts merged, {4 * ROUNDS - count} lost"
    )
    assert count == 2 * 2 * ROUNDS
    # In every lock-step round both turns loaded the same state, so at least one had to merge.
    assert merges >= ROUNDS
