"""Conversation leases in Redis: the instances on one Redis agree on who answers each conversation.

What lives in Redis, under the storage's key prefix:

- `lease:<conversation>`: the holder's token (`<instance>/<random>`), with a time to live of
  `lease_seconds`, renewed by the holder's heartbeat. Taken with SET NX PX and renewed with the
  reacquire script of redis-py's `Lock`; let go with `_RELEASE`, which cleans up what the lease
  covered in the same step, and only while the token is still the holder's.
- `answer:<conversation>`: the answer in progress, a hash: `origin` (what the host needs to finish
  it) and `progress` (what the user has seen, written before each update), JSON. It exists only
  while its lease is held, or after its instance died: then it is an orphan.
- `answers`: a sorted set of the conversations with an answer in progress, scored by when their
  lease lapses unless renewed (milliseconds since the epoch); each instance looks there every
  `heartbeat_seconds / 3` for lapsed ones, and finishes the orphans it can take the lease of.
- `pace:<conversation>`: when the conversation's next stream send may go out (seconds since the
  epoch), so that the channel's one request a second holds from one instance to the next.
- channel `interrupt:<instance>`: asks that instance to end the answer of the lease a message names.

Every command goes through one `CommandBatch` (a pipeline per round trip for all callers).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid

import orjson
from redis.asyncio.client import Pipeline
from redis.asyncio.lock import Lock
from redis.exceptions import RedisError

from storage.errors import StorageUnavailableError
from storage.redis_rows import redis_client
from streaming.leases import (
    AnswerOrigin,
    AnswerProgress,
    InterruptAnswer,
    OrphanedAnswer,
    ProgressLog,
    RecoverAnswer,
)
from streaming.outcome import AnswerOutcome, StopReason

from .command_batch import CommandBatch
from .interrupts import InterruptListener
from .settings import InstanceSettings

logger = logging.getLogger(__name__)

POLL_INTERVAL = 0.05
"""How often a message waiting for another instance's lease checks whether it is free (seconds)."""
ASK_AGAIN_INTERVAL = 1.0
"""How often that message asks the holder again to end its answer (a published request can be lost)."""
PROGRESS_WAIT = 0.5
"""How long an update waits for its progress to be recorded before it goes out anyway (seconds)."""
ORPHAN_TTL_MS = 600_000
"""How long an answer's record outlives its last heartbeat: an orphan older than this is not worth
finishing (the channel closed its stream long ago)."""
RECOVERY_ATTEMPTS = 3
"""How often finishing an orphan is tried before it is given up (it failed for another reason than
the channel refusing it, which gives up at once)."""
SWEEP_BATCH = 100
"""At most this many orphans are finished at once, per instance, per look."""

# KEYS: lease, answer, answers, pace. ARGV: token, conversation key, pace (s since the epoch), its ttl (ms).
_RELEASE = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('del', KEYS[1], KEYS[2])
redis.call('zrem', KEYS[3], ARGV[2])
if tonumber(ARGV[4]) > 0 then redis.call('set', KEYS[4], ARGV[3], 'PX', ARGV[4]) end
return 1
"""


def _progress_json(progress: AnswerProgress) -> bytes:
    return orjson.dumps(
        {
            "stream_id": progress.stream_id,
            "sequence": progress.sequence,
            "shown": progress.shown,
            "seen": None if progress.seen == progress.shown else progress.seen,  # Mostly the same text.
            "ended": progress.ended.value if progress.ended is not None else None,
        }
    )


def _progress_from(raw: str | bytes) -> AnswerProgress:
    data = orjson.loads(raw)
    ended = data.get("ended")
    return AnswerProgress(
        stream_id=data.get("stream_id"),
        sequence=int(data.get("sequence") or 0),
        shown=data.get("shown") or "",
        seen=data["seen"] if data.get("seen") is not None else data.get("shown") or "",
        ended=AnswerOutcome(ended) if ended else None,
    )


_NOTHING_SHOWN = _progress_json(AnswerProgress(None, 0, "", ""))


class _Keys:
    """The Redis names of one conversation's lease, answer record and pace, under the key prefix."""

    def __init__(self, prefix: str, key: str) -> None:
        self.conversation = key
        self.lease = f"{prefix}lease:{key}"
        self.answer = f"{prefix}answer:{key}"
        self.pace = f"{prefix}pace:{key}"


class RedisLease:
    """One hold on a conversation, from acquiring to releasing (see `streaming.leases.ConversationLease`)."""

    def __init__(self, leases: RedisLeases, keys: _Keys, token: str, interrupt: InterruptAnswer) -> None:
        self._leases = leases
        self.keys = keys
        self.token = token
        self.interrupt = interrupt
        self.renewed_at = asyncio.get_running_loop().time()
        self.taken = False  # False while waiting for the holder to let go
        self.answering = False
        self.lost = False
        self.pace_until = 0.0

    def lose(self) -> None:
        """The lease lapsed or may have: end what runs under it, and record nothing more."""
        if not self.lost:
            self.lost = True
            logger.warning("lost the lease on conversation %s: ending its answer", self.keys.conversation)
            self.interrupt(StopReason.LEASE_LOST)

    async def begin_answer(self, origin: AnswerOrigin) -> ProgressLog | None:
        self.answering = True
        return await self._leases.begin_answer(self, origin)

    async def release(self, pace_until: float) -> None:
        await self._leases.release(self, pace_until)


class _ProgressLog:
    """An answer's progress in its record; a Redis that does not answer in time is skipped, once warned."""

    def __init__(self, leases: RedisLeases, lease: RedisLease) -> None:
        self._leases = leases
        self._lease = lease
        self._warned = False

    async def record(self, progress: AnswerProgress) -> None:
        if self._lease.lost:
            return  # Someone else may hold the conversation now: its record is not ours.
        data = _progress_json(progress)
        answer = self._lease.keys.answer
        try:
            async with asyncio.timeout(PROGRESS_WAIT):
                await self._leases.batch.run(lambda pipe: pipe.hset(answer, "progress", data))
        except (RedisError, TimeoutError) as error:
            if not self._warned:
                self._warned = True
                logger.warning("could not record an answer's progress in Redis (%s): going on", error)


class RedisLeases:
    """`streaming.leases.ConversationLeases` in Redis, shared by every instance with the same Redis
    and key prefix. `recover` finishes the answers that stopped instances leave behind.

    `start` begins its background work (renewing leases, listening for interrupts, finishing
    orphans) on the running event loop; `close` ends it and closes the connections.
    """

    def __init__(
        self,
        url: str,
        key_prefix: str,
        settings: InstanceSettings,
        recover: RecoverAnswer,
        *,
        timeout: float = 5.0,
    ) -> None:
        self._prefix = key_prefix
        self._settings = settings
        self._recover = recover
        self._lease_ms = int(settings.lease_seconds * 1000)
        self._redis = redis_client(url, timeout=timeout)
        self.batch = CommandBatch(self._redis)
        self.instance = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._answers = f"{key_prefix}answers"
        self._held: dict[str, RedisLease] = {}  # by token
        self._adopting: dict[str, asyncio.Task[None]] = {}  # conversations whose orphan is being taken on
        self._listener = InterruptListener(self._redis, self._channel(self.instance), self._interrupted)
        self._tasks: list[asyncio.Task[None]] = []
        self._trouble_logged = False

    def start(self) -> None:
        """Start renewing leases, listening for interrupts and finishing orphans."""
        self._listener.start()
        self._tasks = [
            asyncio.create_task(self._renew_leases()),
            asyncio.create_task(self._sweep_orphans()),
        ]
        logger.info(
            "conversations are shared with the other instances on Redis as instance %s "
            "(lease %.1f s, heartbeat %.1f s)",
            self.instance,
            self._settings.lease_seconds,
            self._settings.heartbeat_seconds,
        )

    async def close(self) -> None:
        """Stop the background work and close the connections (after the answers have ended)."""
        tasks = [*self._tasks, *self._adopting.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._listener.close()
        await self._redis.aclose()

    async def acquire(self, key: str, reason: StopReason, interrupt: InterruptAnswer) -> RedisLease:
        keys = _Keys(self._prefix, key)
        lease = RedisLease(self, keys, f"{self.instance}/{uuid.uuid4().hex}", interrupt)
        # Known before it is taken, so that a request to end it that comes at once finds it.
        self._held[lease.token] = lease
        try:
            orphaned = await self._take(lease, reason)
        except BaseException:
            self._held.pop(lease.token, None)
            raise
        if orphaned:
            try:
                await self._finish_orphan(lease, retry_later=False)
            except BaseException:
                await self.release(lease, lease.pace_until)
                raise
        return lease

    async def answering(self, key: str) -> bool:
        try:
            (exists,) = await self.batch.run(lambda pipe: pipe.exists(f"{self._prefix}answer:{key}"))
        except RedisError as error:
            raise self._unavailable(error) from error
        return bool(exists)

    async def begin_answer(self, lease: RedisLease, origin: AnswerOrigin) -> ProgressLog | None:
        """Record the answer starting under `lease`: its origin, nothing shown yet, its deadline."""
        keys = lease.keys
        record = {"origin": orjson.dumps(dict(origin())), "progress": _NOTHING_SHOWN, "owner": lease.token}
        deadline = self._deadline_ms()

        def queue(pipe: Pipeline) -> None:
            pipe.hset(keys.answer, mapping=record)
            pipe.pexpire(keys.answer, ORPHAN_TTL_MS)
            pipe.zadd(self._answers, {keys.conversation: deadline})

        try:
            await self.batch.run(queue)
        except RedisError as error:
            # The answer goes on; no other instance could finish it should this one stop.
            logger.warning("could not record the answer in Redis (%s): going on without", error)
            return None
        return _ProgressLog(self, lease)

    async def release(self, lease: RedisLease, pace_until: float) -> None:
        """Let go of `lease` and drop its answer record, unless the lease lapsed meanwhile."""
        self._held.pop(lease.token, None)
        keys = lease.keys
        loop_now = asyncio.get_running_loop().time()
        pace_ms = int((pace_until - loop_now) * 1000)
        pace_at = f"{time.time() + max(pace_until - loop_now, 0.0):.3f}"

        def queue(pipe: Pipeline) -> None:
            pipe.eval(
                _RELEASE,
                4,
                keys.lease,
                keys.answer,
                self._answers,
                keys.pace,
                lease.token,
                keys.conversation,
                pace_at,
                pace_ms,
            )

        try:
            (released,) = await self.batch.run(queue)
        except RedisError as error:
            logger.warning(
                "could not release conversation %s in Redis (%s): it lapses", keys.conversation, error
            )
            return
        if not released and not lease.lost:
            logger.warning(
                "the lease on conversation %s had lapsed before it was released", keys.conversation
            )

    async def _take(self, lease: RedisLease, reason: StopReason) -> bool:
        """Wait until `lease` is held, asking its holder to end its answer; True if an orphan is left."""
        keys = lease.keys
        loop = asyncio.get_running_loop()
        started_at = loop.time()
        # A holder that answers ends within a second or two; one that died lapses within the lease.
        give_up_at = started_at + self._settings.lease_seconds + 2 * self._settings.heartbeat_seconds
        asked: tuple[str, float] | None = None

        def queue(pipe: Pipeline) -> None:
            pipe.set(keys.lease, lease.token, nx=True, px=self._lease_ms)
            pipe.get(keys.lease)
            pipe.exists(keys.answer)
            pipe.get(keys.pace)

        while True:
            sent_at = loop.time()
            try:
                _, holder, orphaned, pace = await self.batch.run(queue)
            except RedisError as error:
                raise self._unavailable(error) from error
            if holder == lease.token:
                lease.taken = True
                lease.renewed_at = sent_at
                lease.pace_until = self._loop_time(pace) if pace else 0.0
                return bool(orphaned)
            now = loop.time()
            if holder and (asked is None or asked[0] != holder or now - asked[1] >= ASK_AGAIN_INTERVAL):
                asked = (holder, now)
                await self._ask_to_end(holder, keys.conversation, reason)
            if now >= give_up_at:
                raise StorageUnavailableError(
                    f"conversation {keys.conversation} is still held by instance "
                    f"{(holder or '?').rsplit('/', 1)[0]} after {now - started_at:.0f} s"
                )
            await asyncio.sleep(POLL_INTERVAL)

    async def _ask_to_end(self, holder: str, key: str, reason: StopReason) -> None:
        """Ask the instance holding `key` (its lease's token is `holder`) to end its answer."""
        message = orjson.dumps({"key": key, "token": holder, "reason": reason.value})
        channel = self._channel(holder.rsplit("/", 1)[0])
        try:
            await self.batch.run(lambda pipe: pipe.publish(channel, message))
        except RedisError as error:
            raise self._unavailable(error) from error

    def _interrupted(self, token: str, reason: StopReason) -> None:
        """Another instance asks to end the answer under the lease `token`, if this one holds it."""
        lease = self._held.get(token)
        if lease is not None:
            logger.info(
                "another instance needs conversation %s: ending its answer here", lease.keys.conversation
            )
            lease.interrupt(reason)

    async def _renew_leases(self) -> None:
        """Renew every lease held here, all in one round trip, every heartbeat; end what may have lapsed."""
        heartbeat = self._settings.heartbeat_seconds
        loop = asyncio.get_running_loop()
        wait = heartbeat
        while True:
            await asyncio.sleep(wait)
            leases = [lease for lease in self._held.values() if lease.taken and not lease.lost]
            if not leases:
                wait = heartbeat
                continue
            sent_at = loop.time()
            deadline = self._deadline_ms()

            def queue(pipe: Pipeline, leases: list[RedisLease] = leases, deadline: int = deadline) -> None:
                for lease in leases:
                    pipe.eval(Lock.LUA_REACQUIRE_SCRIPT, 1, lease.keys.lease, lease.token, self._lease_ms)
                for lease in leases:
                    if lease.answering:
                        pipe.zadd(self._answers, {lease.keys.conversation: deadline}, xx=True)
                        pipe.pexpire(lease.keys.answer, ORPHAN_TTL_MS)

            try:
                results = await self.batch.run(queue)
            except RedisError as error:
                self._log_trouble("could not renew the conversation leases", error)
                for lease in leases:
                    if loop.time() - lease.renewed_at >= self._settings.lease_seconds / 2 and (
                        lease.token in self._held
                    ):
                        lease.lose()
                wait = heartbeat / 3  # Try again soon: the leases are running out.
                continue
            self._trouble_logged = False
            for lease, renewed in zip(leases, results[: len(leases)], strict=True):
                if renewed:
                    lease.renewed_at = sent_at
                elif lease.token in self._held:  # Not released meanwhile: it lapsed.
                    lease.lose()
            wait = heartbeat

    async def _sweep_orphans(self) -> None:
        """Look for answers whose lease lapsed, and finish those whose lease this instance can take."""
        while True:
            await asyncio.sleep(self._settings.heartbeat_seconds / 3)
            now_ms = int(time.time() * 1000)

            def queue(pipe: Pipeline, now_ms: int = now_ms) -> None:
                pipe.zrangebyscore(self._answers, "-inf", now_ms, 0, SWEEP_BATCH)

            try:
                (lapsed,) = await self.batch.run(queue)
            except RedisError as error:
                self._log_trouble("could not look for unfinished answers", error)
                continue
            for key in lapsed:
                if key not in self._adopting:
                    # On its own: a slow one (a channel that keeps refusing) holds up no other.
                    self._adopting[key] = asyncio.create_task(self._adopt(key))

    async def _adopt(self, key: str) -> None:
        """Finish conversation `key`'s orphaned answer if its lease can be taken now."""
        keys = _Keys(self._prefix, key)
        lease = RedisLease(self, keys, f"{self.instance}/{uuid.uuid4().hex}", lambda _reason: None)

        def queue(pipe: Pipeline) -> None:
            pipe.set(keys.lease, lease.token, nx=True, px=self._lease_ms)
            pipe.exists(keys.answer)
            pipe.get(keys.pace)

        self._held[lease.token] = lease
        keep_record = False
        try:
            taken, orphaned, pace = await self.batch.run(queue)
            # Not taken: renewed meanwhile, or taken by a new message, whose instance finishes it.
            lease.taken = bool(taken)
            if lease.taken and orphaned:
                lease.pace_until = self._loop_time(pace) if pace else 0.0
                keep_record = not await self._finish_orphan(lease, retry_later=True)
        except (RedisError, StorageUnavailableError) as error:
            self._log_trouble(f"could not finish the unfinished answer in conversation {key}", error)
        except Exception:
            logger.exception("could not finish the unfinished answer in conversation %s", key)
        finally:
            del self._adopting[key]
            if not lease.taken:
                self._held.pop(lease.token, None)
            elif keep_record:
                await self._let_go(lease)  # Its record stays, for the next look.
            else:
                await self.release(lease, lease.pace_until)

    async def _finish_orphan(self, lease: RedisLease, *, retry_later: bool) -> bool:
        """Finish the orphaned answer in `lease`'s conversation (held now) and drop its record;
        False if that failed and should be tried again.

        With `retry_later` (nothing waits for the conversation), a failure is tried again at the
        next look, a few times; otherwise the orphan is given up, and the message waiting goes on.
        """
        keys = lease.keys

        def read(pipe: Pipeline) -> None:
            pipe.hgetall(keys.answer)
            pipe.hincrby(keys.answer, "attempts", 1)

        def drop(pipe: Pipeline) -> None:
            pipe.delete(keys.answer)
            pipe.zrem(self._answers, keys.conversation)

        try:
            record, attempts = await self.batch.run(read)
        except RedisError as error:
            raise self._unavailable(error) from error
        owner = str(record.get("owner", "?")).rsplit("/", 1)[0]
        if "origin" in record:  # Else it lapsed (its time to live) meanwhile.
            orphan = OrphanedAnswer(
                keys.conversation, orjson.loads(record["origin"]), _progress_from(record["progress"])
            )
            logger.warning(
                "instance %s stopped while answering in conversation %s: finishing its answer",
                owner,
                keys.conversation,
            )
            lease.answering = True
            try:
                lease.pace_until = max(
                    lease.pace_until, await self._recover(orphan, _ProgressLog(self, lease))
                )
            except Exception:
                logger.exception(
                    "could not finish the answer instance %s left in conversation %s",
                    owner,
                    keys.conversation,
                )
                if retry_later and attempts < RECOVERY_ATTEMPTS:
                    return False
            else:
                logger.info(
                    "finished the answer instance %s left in conversation %s", owner, keys.conversation
                )
        try:
            await self.batch.run(drop)
        except RedisError as error:
            raise self._unavailable(error) from error
        return True

    async def _let_go(self, lease: RedisLease) -> None:
        """Release `lease` only (redis-py `Lock`'s release script), keeping what it covered."""
        self._held.pop(lease.token, None)
        try:
            await self.batch.run(
                lambda pipe: pipe.eval(Lock.LUA_RELEASE_SCRIPT, 1, lease.keys.lease, lease.token)
            )
        except RedisError as error:
            self._log_trouble(f"could not release conversation {lease.keys.conversation} (it lapses)", error)

    def _channel(self, instance: str) -> str:
        return f"{self._prefix}interrupt:{instance}"

    def _deadline_ms(self) -> int:
        """When a lease renewed now lapses, in milliseconds since the epoch."""
        return int(time.time() * 1000) + self._lease_ms

    @staticmethod
    def _loop_time(epoch_seconds: str) -> float:
        """A time in seconds since the epoch on the event loop's clock."""
        return asyncio.get_running_loop().time() + float(epoch_seconds) - time.time()

    def _unavailable(self, error: RedisError) -> StorageUnavailableError:
        where = self._redis.connection_pool.connection_kwargs
        place = f"{where.get('host')}:{where.get('port')}"
        return StorageUnavailableError(f"Redis at {place} is unavailable for conversation leases: {error}")

    def _log_trouble(self, what: str, error: Exception) -> None:
        """Warn once per spell of trouble, not once per attempt."""
        if not self._trouble_logged:
            self._trouble_logged = True
            logger.warning("%s: %s (retrying)", what, error)
