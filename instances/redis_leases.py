"""Conversation leases in Redis: the instances on one Redis agree on who answers each conversation.

What lives in Redis, under the storage's key prefix:

- `lease:<conversation>`: the holder's token (`<instance>/<random>`), with a time to live of
  `lease_seconds`, renewed by the holder's heartbeat (all the instance's leases in one pipeline).
  Taken, renewed, used and let go by the scripts in `scripts.py`, each of which checks the token
  in the same step.
- `answer:<conversation>`: the answer in progress, a hash: `origin` (what the host needs to finish
  it) and `progress` (what the user has seen, written before each update), JSON. It exists only
  while its lease is held, or after its instance died: then it is an orphan.
- `answers`: a sorted set of the conversations with an answer in progress, scored by when their
  lease lapses unless renewed (milliseconds since the epoch); each instance looks there every
  `heartbeat_seconds / 3` for lapsed ones, and finishes the orphans whose lease it can take.
- `pace:<conversation>`: when the conversation's next stream send may go out (seconds since the
  epoch), so that the channel's one request a second holds from one instance to the next.
- channel `interrupt:<instance>`: asks that instance to end the answer under the lease a request names.

An answer costs one command per step (take, begin, each update, release); the commands of all
the instance's answers share round trips (`CommandBatch`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from typing import Any

import orjson
from redis.asyncio.lock import Lock
from redis.exceptions import RedisError

from storage.errors import StorageUnavailableError
from storage.redis_command_batch import CommandBatch
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

from . import scripts
from .interrupts import InterruptListener
from .settings import InstanceSettings
from .stopping import stop_tasks

logger = logging.getLogger(__name__)

POLL_INTERVAL = 0.05
"""How often a message waiting for another instance's lease checks whether it is free (seconds)."""
ASK_AGAIN_INTERVAL = 1.0
"""How often that message asks the holder again to end its answer (a published request can be lost)."""
LONGEST_ANSWER_SECONDS = 130.0
"""How long an answer in progress may still take, for a turn that lets it finish: Teams ends a stream
after 120 s."""
ORPHAN_TTL_MS = 3_600_000
"""How long an answer's record is kept: an orphan older than this is not worth finishing (the channel
closed its stream long ago), and no answer runs that long."""
RECOVERY_ATTEMPTS = 3
"""How often finishing an orphan that nothing waits for is tried before it is given up."""
RECORD_LEAD = 0.1
"""How long before an update is due its progress is recorded (seconds): longer than the round trip
takes under load, so that the update still goes out on time (it shows the text of that moment)."""
COMMAND_TIMEOUT = 1.0
"""How long a command may take before Redis counts as unreachable (seconds): an update waits no
longer for its progress to be recorded."""
SWEEP_BATCH = 100
"""At most this many lapsed answers are taken on per look, per instance."""


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


def _progress_from(raw: str) -> AnswerProgress:
    data = orjson.loads(raw)
    shown = data.get("shown") or ""
    ended = data.get("ended")
    return AnswerProgress(
        stream_id=data.get("stream_id"),
        sequence=int(data.get("sequence") or 0),
        shown=shown,
        seen=shown if data.get("seen") is None else data["seen"],
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
        return await self._leases.begin_answer(self, origin)

    async def release(self, pace_until: float) -> None:
        await self._leases.release(self, pace_until)


class _ProgressLog:
    """An answer's progress in its record. An update waits for it at most `COMMAND_TIMEOUT`; a Redis
    that does not answer is skipped (the answer goes on), with one warning."""

    lead = RECORD_LEAD

    def __init__(self, leases: RedisLeases, lease: RedisLease) -> None:
        self._leases = leases
        self._lease = lease
        self._warned = False

    async def record(self, progress: AnswerProgress) -> None:
        lease = self._lease
        if lease.lost:
            return  # Someone else may hold the conversation now: its record is not ours.
        try:
            held = await self._leases.record(lease, _progress_json(progress))
        except RedisError as error:
            if not self._warned:
                self._warned = True
                logger.warning("could not record an answer's progress in Redis (%s): going on", error)
            return
        if not held:
            lease.lose()


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
        timeout: float = COMMAND_TIMEOUT,
    ) -> None:
        self._prefix = key_prefix
        self._settings = settings
        self._recover = recover
        self._lease_ms = int(settings.lease_seconds * 1000)
        self._redis = redis_client(url, timeout=timeout)
        self._batch = CommandBatch(self._redis)
        self._take = self._redis.register_script(scripts.TAKE)
        self._begin = self._redis.register_script(scripts.BEGIN)
        self._record = self._redis.register_script(scripts.RECORD)
        self._release = self._redis.register_script(scripts.RELEASE)
        self._release_only = self._redis.register_script(Lock.LUA_RELEASE_SCRIPT)
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
        await stop_tasks([*self._tasks, *self._adopting.values()])
        await self._listener.close()
        await self._redis.aclose()

    async def acquire(self, key: str, reason: StopReason | None, interrupt: InterruptAnswer) -> RedisLease:
        lease = RedisLease(self, _Keys(self._prefix, key), f"{self.instance}/{uuid.uuid4().hex}", interrupt)
        # Known before it is taken, so that a request to end it that comes at once finds it.
        self._held[lease.token] = lease
        try:
            orphaned = await self._wait_for(lease, reason)
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
            (exists,) = await self._batch.run(lambda pipe: pipe.exists(f"{self._prefix}answer:{key}"))
        except RedisError as error:
            raise self._unavailable(error) from error
        return bool(exists)

    async def begin_answer(self, lease: RedisLease, origin: AnswerOrigin) -> ProgressLog | None:
        """Record the answer starting under `lease`: its origin, nothing shown yet, its deadline."""
        keys = lease.keys
        lease.answering = True
        args = [lease.token, orjson.dumps(dict(origin())), _NOTHING_SHOWN, ORPHAN_TTL_MS]
        args += [self._deadline_ms(), keys.conversation]
        try:
            held = await self._batch.run_script(self._begin, [keys.lease, keys.answer, self._answers], args)
        except RedisError as error:
            # The answer goes on; no other instance could finish it should this one stop.
            logger.warning("could not record the answer in Redis (%s): going on without", error)
            return None
        if not held:
            lease.lose()
            return None
        return _ProgressLog(self, lease)

    async def record(self, lease: RedisLease, progress: bytes) -> bool:
        """Keep an answer's `progress` in its record; False if `lease` is no longer held."""
        keys = lease.keys
        return bool(
            await self._batch.run_script(self._record, [keys.lease, keys.answer], [lease.token, progress])
        )

    async def release(self, lease: RedisLease, pace_until: float) -> None:
        """Let go of `lease` and drop its answer record, unless the lease lapsed meanwhile."""
        self._held.pop(lease.token, None)
        keys = lease.keys
        wait = pace_until - asyncio.get_running_loop().time()
        pace = [f"{time.time() + max(wait, 0.0):.3f}", int(wait * 1000)]
        try:
            released = await self._batch.run_script(
                self._release,
                [keys.lease, keys.answer, self._answers, keys.pace],
                [lease.token, keys.conversation, *pace],
            )
        except RedisError as error:
            logger.warning(
                "could not release conversation %s in Redis (%s): it lapses", keys.conversation, error
            )
            return
        if not released and not lease.lost:
            logger.warning(
                "the lease on conversation %s had lapsed before it was released", keys.conversation
            )

    async def _wait_for(self, lease: RedisLease, reason: StopReason | None) -> bool:
        """Wait until `lease` is held, asking its holder to end its answer for `reason` (none: letting it
        finish); True if an orphan is left."""
        keys = lease.keys
        loop = asyncio.get_running_loop()
        started_at = loop.time()
        # A holder asked to end does so within a second or two, one that died lapses within the lease;
        # one let finish takes as long as its answer.
        lapse = self._settings.lease_seconds + 2 * self._settings.heartbeat_seconds
        give_up_at = started_at + lapse + (0.0 if reason is not None else LONGEST_ANSWER_SECONDS)
        asked: tuple[str, float] | None = None
        while True:
            sent_at = loop.time()
            try:
                taken, *rest = await self._take_lease(lease)
            except RedisError as error:
                raise self._unavailable(error) from error
            if taken:
                orphaned, pace = rest
                lease.taken = True
                lease.renewed_at = sent_at
                lease.pace_until = self._loop_time(pace) if pace else 0.0
                return bool(orphaned)
            (holder,) = rest
            now = loop.time()
            if (
                reason is not None
                and holder
                and (asked is None or asked[0] != holder or now - asked[1] >= ASK_AGAIN_INTERVAL)
            ):
                asked = (holder, now)
                await self._ask_to_end(holder, keys.conversation, reason)
            if now >= give_up_at:
                raise StorageUnavailableError(
                    f"conversation {keys.conversation} is still held by instance "
                    f"{(holder or '?').rsplit('/', 1)[0]} after {now - started_at:.0f} s"
                )
            await asyncio.sleep(POLL_INTERVAL)

    async def _take_lease(self, lease: RedisLease) -> list[Any]:
        """Take `lease` if it is free: [1, an orphan was left, the pace] or [0, the holder's token]."""
        keys = lease.keys
        args = [lease.token, self._lease_ms]
        return list(await self._batch.run_script(self._take, [keys.lease, keys.answer, keys.pace], args))

    async def _ask_to_end(self, holder: str, key: str, reason: StopReason) -> None:
        """Ask the instance holding `key` (its lease's token is `holder`) to end its answer."""
        message = orjson.dumps({"key": key, "token": holder, "reason": reason.value})
        channel = self._channel(holder.rsplit("/", 1)[0])
        try:
            await self._batch.run(lambda pipe: pipe.publish(channel, message))
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
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for lease in leases:
                        keys = lease.keys
                        args = [
                            lease.token,
                            self._lease_ms,
                            deadline,
                            keys.conversation,
                            int(lease.answering),
                        ]
                        pipe.eval(scripts.RENEW, 2, keys.lease, self._answers, *args)
                    results = await pipe.execute()
            except RedisError as error:
                self._log_trouble("could not renew the conversation leases", error)
                for lease in leases:
                    lapsing = loop.time() - lease.renewed_at >= self._settings.lease_seconds / 2
                    if lapsing and lease.token in self._held:
                        lease.lose()
                wait = heartbeat / 3  # Try again soon: the leases are running out.
                continue
            self._trouble_logged = False
            for lease, renewed in zip(leases, results, strict=True):
                if renewed:
                    lease.renewed_at = sent_at
                elif lease.token in self._held:  # Not released meanwhile: it lapsed.
                    lease.lose()
            wait = heartbeat

    async def _sweep_orphans(self) -> None:
        """Look for answers whose lease lapsed, and finish those whose lease this instance can take."""
        while True:
            await asyncio.sleep(self._settings.heartbeat_seconds / 3)
            try:
                lapsed = await self._redis.zrangebyscore(
                    self._answers, "-inf", int(time.time() * 1000), 0, SWEEP_BATCH
                )
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
        self._held[lease.token] = lease
        keep_record = False
        try:
            taken, *rest = await self._take_lease(lease)
            # Not taken: renewed meanwhile, or taken by a new message, whose instance finishes it.
            lease.taken = bool(taken)
            if lease.taken:
                orphaned, pace = rest
                lease.pace_until = self._loop_time(pace) if pace else 0.0
                keep_record = bool(orphaned) and not await self._finish_orphan(lease, retry_later=True)
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
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.hgetall(keys.answer)
                pipe.hincrby(keys.answer, "attempts", 1)
                record, attempts = await pipe.execute()
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
                pace_until = await self._recover(orphan, _ProgressLog(self, lease))
            except Exception:
                logger.exception(
                    "could not finish the answer instance %s left in conversation %s",
                    owner,
                    keys.conversation,
                )
                if retry_later and attempts < RECOVERY_ATTEMPTS:
                    return False
            else:
                lease.pace_until = max(lease.pace_until, pace_until)
                logger.info(
                    "finished the answer instance %s left in conversation %s", owner, keys.conversation
                )
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.delete(keys.answer)
                pipe.zrem(self._answers, keys.conversation)
                await pipe.execute()
        except RedisError as error:
            raise self._unavailable(error) from error
        return True

    async def _let_go(self, lease: RedisLease) -> None:
        """Release `lease` only (redis-py `Lock`'s release script), keeping what it covered."""
        self._held.pop(lease.token, None)
        try:
            await self._batch.run_script(self._release_only, [lease.keys.lease], [lease.token])
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
