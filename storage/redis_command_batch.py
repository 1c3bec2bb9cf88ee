"""Redis commands of many callers sent together: one pipeline per round trip (auto-pipelining).

Each round trip costs redis-py and the event loop far more CPU than the command itself, and an
instance's answers record their progress at every update: a round trip per record would cost more
than the budget for taking part in several instances (see README, "Running several instances").
redis-py has no auto-pipelining, so this does it: a pipeline leaves `window` seconds after the
first command queued for it, with every command queued meanwhile (one pipeline in flight at a time).
Scripts go by their SHA (`run_script`), loaded again when Redis has forgotten them (it restarted).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

Queue = Callable[[Pipeline], object]
"""Queues one caller's commands on the pipeline (its return value is ignored)."""

WINDOW = 0.005
"""How long a command waits for others to share its round trip, in seconds: as cheap as longer waits
when many answers update together (the benchmark), and short next to any channel's pace."""


class CommandBatch:
    """Sends the commands of concurrent callers in one pipeline; each gets its own results."""

    def __init__(self, redis: Redis, *, window: float = WINDOW) -> None:
        self._redis = redis
        self._window = window
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

    async def run_script(self, script: AsyncScript, keys: list[str], args: list[object]) -> Any:
        """`script`'s result, run in the next pipeline; loaded first if Redis does not know it."""

        def queue(pipe: Pipeline) -> None:
            pipe.evalsha(script.sha, len(keys), *keys, *args)

        try:
            (result,) = await self.run(queue)
        except NoScriptError:
            await self._redis.script_load(script.script)
            (result,) = await self.run(queue)
        return result

    async def _send(self) -> None:
        try:
            while self._waiting:
                await asyncio.sleep(self._window)  # Gather the commands of other callers meanwhile.
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
