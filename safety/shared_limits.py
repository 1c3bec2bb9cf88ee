"""The per-user limits in Redis, so that they hold across every instance of the bot (`STORAGE=redis`).

Two counts per user, each a Redis structure under the storage's key prefix, both on Redis's clock:

- **The message rate**: the user's token bucket, a hash {tokens, updated}. It is the same bucket,
  with the same arithmetic, as one instance keeps in memory (`token_buckets.py`), so the settings mean
  the same with one instance or many. Why scripts of ours and not `limits` (PyPI): that library offers
  fixed, moving and sliding windows but no token bucket; with it, the burst setting would mean
  something else once the bot runs on Redis.
- **The answers in progress**: a sorted set of the conversations where an answer to the user runs,
  each scored with when its mark lapses. The instance giving an answer marks it, renews the mark while
  it runs and removes it at the end; an instance that dies leaves a mark that lapses within
  `ANSWER_MARK_SECONDS`, so a crash never holds a user's answers for long.

Checking a message is one Lua script: it takes from the bucket, so that two instances taking at once
cannot both spend the last token, and counts the user's other answers. As in one process, that
count is a check and the answer starts later: two first messages of one user in two chats at the
same moment may both pass. A message and its answer cost three commands (check, mark, unmark), sent
in the pipelines of a `CommandBatch` with those of the other answers running at the time.

Redis unreachable or slow (no answer within `REDIS_TIMEOUT_SECONDS`): a check raises
`StorageUnavailableError` (the user is told as for any storage outage, and the next message is
checked again), and an answer's marks are skipped with a warning: the answer goes on, held up by one
timeout at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import TypeVar

from redis.exceptions import RedisError

from storage import StorageUnavailableError
from storage.redis_command_batch import CommandBatch
from storage.redis_rows import redis_client

from .settings import SafetySettings
from .user_counts import MessageCount

logger = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 2.0
"""How long one count may take; past it Redis is treated as unavailable."""
ANSWER_MARK_SECONDS = 30.0
"""How long an answer's mark holds without being renewed (its instance renews it a few times meanwhile)."""

Result = TypeVar("Result")

# A user's message: take it from their token bucket (the arithmetic of token_buckets.py), and count
# their answers in progress in other conversations, dropping marks that have lapsed.
# KEYS[1]: the bucket; KEYS[2]: the answers. ARGV[1]: the bucket's capacity (the burst); ARGV[2]: the
# tokens it refills per second; ARGV[3]: the message's conversation. Returns {taken (1 or 0), answers}.
# A bucket that has refilled is the same as none, so Redis forgets it once it could have.
_COUNT = """
local capacity = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(saved[1]) or capacity
local updated = tonumber(saved[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - updated) * refill)
local taken = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / refill) + 1)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local answers = redis.call('ZCARD', KEYS[2])
if redis.call('ZSCORE', KEYS[2], ARGV[3]) then answers = answers - 1 end
return {taken, answers}
"""

# Mark an answer as running until ARGV[2] seconds from now. KEYS[1]: the user's answers;
# ARGV[1]: the answer's conversation. The set itself goes once no mark in it could still hold.
_MARK = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local seconds = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], tostring(now + seconds), ARGV[1])
redis.call('EXPIRE', KEYS[1], math.ceil(seconds) + 1)
return 1
"""


class RedisLimits:
    """Each user's message rate and answers in progress, in the Redis at `url`, under `key_prefix`.

    `timeout` bounds each count; `answer_mark_seconds` is how long an answer's mark lasts unrenewed.
    """

    def __init__(
        self,
        url: str,
        *,
        key_prefix: str,
        settings: SafetySettings,
        timeout: float = REDIS_TIMEOUT_SECONDS,
        answer_mark_seconds: float = ANSWER_MARK_SECONDS,
    ) -> None:
        self._prefix = f"{key_prefix}limits/"
        self._burst = settings.message_burst
        self._refill_per_second = settings.messages_per_minute / 60.0
        self._timeout = timeout
        self._mark_seconds = answer_mark_seconds
        self._redis = redis_client(url, timeout=timeout)
        # Concurrent answers' counts share round trips, as the leases' commands do.
        self._batch = CommandBatch(self._redis)
        self._count = self._redis.register_script(_COUNT)
        self._mark_script = self._redis.register_script(_MARK)
        # Where, for messages: host and port only, never the URL's password.
        where = self._redis.connection_pool.connection_kwargs
        self._where = where.get("path") or f"{where.get('host')}:{where.get('port')}"

    async def count(self, user: str, conversation_key: str) -> MessageCount:
        """Take `user`'s message from their bucket and count their answers elsewhere, as every
        instance sees them."""
        taken, answers = await self._checked(
            self._batch.run_script(
                self._count,
                [self._bucket_key(user), self._answers_key(user)],
                [self._burst, self._refill_per_second, conversation_key],
            )
        )
        return MessageCount(within_rate=bool(taken), answers_elsewhere=int(answers))

    async def about_to_run(self, user: str, conversation_key: str) -> None:
        """Mark an answer to `user` in `conversation_key` as running now, for the mark's length: the
        answer's first sign shows before its own turn starts (`running`). Never raises."""
        await self._mark(user, conversation_key, warned=False)

    @asynccontextmanager
    async def running(self, user: str, conversation_key: str) -> AsyncIterator[None]:
        """Mark an answer to `user` in `conversation_key` as running, on every instance's count, until
        the block ends; renewed meanwhile. Never raises; holds the answer up by one timeout at most."""
        warned = await self._mark(user, conversation_key, warned=False)
        renewing = asyncio.create_task(self._keep_marked(user, conversation_key, warned))
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing  # so that no mark goes out after the one removed here
            try:
                key = self._answers_key(user)
                await self._checked(self._batch.run(lambda pipe: pipe.zrem(key, conversation_key)))
            except StorageUnavailableError as error:
                logger.warning("could not unmark an answer (its mark lapses by itself): %s", error)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()

    async def _keep_marked(self, user: str, conversation_key: str, warned: bool) -> None:
        """Renew the answer's mark three times per mark's length, for as long as it runs."""
        while True:
            await asyncio.sleep(self._mark_seconds / 3)
            warned = await self._mark(user, conversation_key, warned)

    async def _mark(self, user: str, conversation_key: str, warned: bool) -> bool:
        """Mark the answer as running for the mark's length; whether a failure was logged (once per
        answer: Redis may stay down for all of it)."""
        try:
            await self._checked(
                self._batch.run_script(
                    self._mark_script, [self._answers_key(user)], [conversation_key, self._mark_seconds]
                )
            )
        except StorageUnavailableError as error:
            if not warned:
                logger.warning("could not mark an answer as running on every instance: %s", error)
            return True
        return warned

    def _bucket_key(self, user: str) -> str:
        return f"{self._prefix}rate/{user}"

    def _answers_key(self, user: str) -> str:
        return f"{self._prefix}answers/{user}"

    async def _checked(self, call: Awaitable[Result]) -> Result:
        """`call` within the timeout; Redis down, failing or slow: `StorageUnavailableError`."""
        try:
            async with asyncio.timeout(self._timeout):
                return await call
        except (RedisError, TimeoutError) as error:
            raise StorageUnavailableError(
                f"Redis at {self._where} is unavailable for the user limits: {error or type(error).__name__}"
            ) from error
