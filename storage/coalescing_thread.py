"""One worker thread that takes every call queued while it was busy in one go (natural batching).

A hop from the event loop to a thread and back costs more than a small SQLite statement, and under a
burst of conversations each call's own hop made the storage thread a queue. Here a call that finds
the thread idle starts it at once (a lone call waits for nothing), and the calls that arrive while it
works go to it together, as one batch, when it is free: no waiting window, just no idle hops.
Hand-written: `ThreadPoolExecutor` runs one callable per submission and has no batching.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

C = TypeVar("C")
R = TypeVar("R")

Outcome = R | BaseException
"""A call's result, or the exception to raise to its caller."""


class CoalescingThread(Generic[C, R]):
    """Runs calls of type `C` on one thread, in batches; each caller gets its own call's outcome.

    `run_batch` runs on the thread and returns one outcome per call, in order; it must not raise.
    """

    def __init__(self, run_batch: Callable[[Sequence[C]], list[Outcome[R]]], *, name: str) -> None:
        self._run_batch = run_batch
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._lock = threading.Lock()  # Guards _queued and _draining, shared by loop and thread.
        self._queued: list[tuple[C, asyncio.Future[R]]] = []
        self._draining = False
        self.batches = 0
        """How many batches the thread has run: fewer than the calls when calls were coalesced."""

    async def call(self, call: C) -> R:
        """`call`'s outcome, run with the calls queued beside it; raises the exception it failed with."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        with self._lock:
            self._queued.append((call, future))
            start, self._draining = not self._draining, True
        if start:
            try:
                self._thread.submit(self._drain)
            except BaseException:
                with self._lock:
                    self._queued.clear()
                    self._draining = False
                raise
        return await future

    async def close(self, last: Callable[[], None]) -> None:
        """Run `last` on the thread after every queued call, then end the thread."""
        await asyncio.get_running_loop().run_in_executor(self._thread, last)
        self._thread.shutdown()

    def _drain(self) -> None:
        """On the thread: run what is queued, in batches, until nothing is."""
        while True:
            with self._lock:
                batch, self._queued = self._queued, []
                if not batch:
                    self._draining = False
                    return
            self.batches += 1
            try:
                outcomes = self._run_batch([call for call, _ in batch])
            except BaseException as error:  # A bug in run_batch must not leave its callers waiting.
                outcomes = [error] * len(batch)
            _deliver(batch, outcomes)


def _deliver(batch: list[tuple[C, asyncio.Future[R]]], outcomes: list[Outcome[R]]) -> None:
    """Hand each caller its outcome, with one wake-up of each event loop the callers wait on."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[R], Outcome[R]]]] = {}
    for (_, future), outcome in zip(batch, outcomes, strict=True):
        by_loop.setdefault(future.get_loop(), []).append((future, outcome))
    for loop, results in by_loop.items():
        if not loop.is_closed():  # As asyncio's own executor futures do: nobody is left to tell.
            loop.call_soon_threadsafe(_settle, results)


def _settle(results: list[tuple[asyncio.Future[R], Outcome[R]]]) -> None:
    """On the event loop: resolve each future that its caller still waits on."""
    for future, outcome in results:
        if future.done():
            continue  # Its caller gave up waiting (cancelled).
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
