"""Requests from other instances to end an answer here: this instance's Redis pub/sub channel.

Each instance listens on a channel of its own (redis-py's `PubSub.run`, on a connection of its own,
which it re-subscribes when Redis comes back). A request names the conversation's lease by its
token, so that one meant for an answer that has ended meanwhile ends nothing else.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from streaming.outcome import StopReason

from .stopping import stop_tasks

logger = logging.getLogger(__name__)

RETRY_INTERVAL = 1.0
"""How long the listener waits before it tries again after Redis failed it (seconds)."""

EndAnswer = Callable[[str, StopReason], None]
"""Ends the answer under the lease with this token, for this reason, if this instance holds it."""


class InterruptListener:
    """Passes the requests that arrive on `channel` to `end_answer`, until closed."""

    def __init__(self, redis: Redis, channel: str, end_answer: EndAnswer) -> None:
        self._redis = redis
        self._channel = channel
        self._end_answer = end_answer
        self._pubsub: PubSub | None = None
        self._task: asyncio.Task[None] | None = None
        self._trouble_logged = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen())

    async def close(self) -> None:
        if self._task is not None:
            await stop_tasks([self._task])
        if self._pubsub is not None:
            await self._pubsub.aclose()

    async def _listen(self) -> None:
        while True:
            try:
                self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                await self._pubsub.subscribe(**{self._channel: self._received})
                self._trouble_logged = False
                await self._pubsub.run(exception_handler=self._trouble)
            except RedisError as error:
                await self._trouble(error, self._pubsub)
                if self._pubsub is not None:
                    await self._pubsub.aclose()

    async def _received(self, message: dict[str, Any]) -> None:
        try:
            request = orjson.loads(message["data"])
            token, reason = str(request["token"]), StopReason(request["reason"])
        except (ValueError, KeyError, TypeError):
            logger.warning("ignored a malformed request on %s", self._channel)
            return
        self._end_answer(token, reason)

    async def _trouble(self, error: BaseException, _pubsub: PubSub | None) -> None:
        """Redis failed the listener: say so once, and try again shortly (it re-subscribes itself)."""
        if not self._trouble_logged:
            self._trouble_logged = True
            logger.warning("not listening for other instances' requests: %s (retrying)", error)
        await asyncio.sleep(RETRY_INTERVAL)
