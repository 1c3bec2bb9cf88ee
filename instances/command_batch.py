"""Redis commands of many callers sent together: one pipeline per round trip (auto-pipelining).

redis-py sends each command in a round trip of its own, which costs about a tenth of a millisecond
of CPU; an instance's answers record their progress at every update and renew their leases every
few seconds, and each round trip of its own would cost more than the whole budget for taking part
in several instances (see README, "Running several instances"). redis-py has no auto-pipelining, so
this does it: the commands callers queue while a pipeline is in flight go out in the next one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

Queue = Callable[[Pipeline], object]
"""Queues one caller's commands on the pipeline (its return value is ignored)."""


class CommandBatch:
    """Sends the commands of concurrent callers in one pipeline; each gets its own results."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._waiting: list[tuple[Queue, asyncio.Future[list[Any]]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def run(self, queue: Queue) -> list[Any]:
        """Run the commands `queue` puts on a pipeline; their results, in order.

        Raises the first error among them, or the pipeline's (`redis.exceptions.ConnectionError`…).
        """
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._waiting.append((queue, future))
        if self._sender is None:
            self._sender = asyncio.create_task(self._send())
        return await future

    async def _send(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                await self._send_one(batch)
        finally:
            self._sender = None

    async def _send_one(self, batch: list[tuple[Queue, asyncio.Future[list[Any]]]]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        spans: list[tuple[asyncio.Future[list[Any]], int, int]] = []
        for queue, future in batch:
            start = len(pipe)
            queue(pipe)
            spans.append((future, start, len(pipe)))
        try:
            results = await pipe.execute(raise_on_error=False)
        except Exception as error:
            for future, _, _ in spans:
                if not future.done():
                    future.set_exception(error)
            return
        for future, start, end in spans:
            if future.done():
                continue  # Its caller gave up waiting.
            mine = results[start:end]
            error = next((result for result in mine if isinstance(result, Exception)), None)
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(mine)
