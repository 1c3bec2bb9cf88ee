"""Conversation leases in Redis, between two `RedisLeases` (two instances) on the real Redis.

The host's part of finishing an orphan is the test's own function here: it records what it was
given; the bot's part is tested through the instances (test_recovery.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack

import pytest

from instances import InstanceSettings, RedisLeases
from storage import StorageUnavailableError
from streaming.leases import AnswerProgress, OrphanedAnswer, ProgressLog
from streaming.outcome import StopReason
from tests.instances.conversations import eventually
from tests.support.redis_servers import SHARED_REDIS_URL, PrivateRedis, shared_redis_prefix

FAST = InstanceSettings(lease_seconds=1.0, heartbeat_seconds=0.25)
KEY = "msteams/conv-1"
ORIGIN = {"reference": {"conversation": {"id": "conv-1"}}, "question": "Why?"}


class Host:
    """What the host is asked to do: answers to end here, orphans to finish."""

    def __init__(self) -> None:
        self.interrupts: list[StopReason] = []
        self.interrupted = asyncio.Event()
        self.orphans: list[OrphanedAnswer] = []
        self.finished = asyncio.Event()

    def interrupt(self, reason: StopReason) -> None:
        self.interrupts.append(reason)
        self.interrupted.set()

    async def recover(self, orphan: OrphanedAnswer, log: ProgressLog) -> float:
        self.orphans.append(orphan)
        self.finished.set()
        return 0.0


@pytest.fixture
def prefix() -> Iterator[str]:
    with shared_redis_prefix() as prefix:
        yield prefix


@pytest.fixture
async def instances(prefix: str) -> AsyncIterator[tuple[RedisLeases, Host, RedisLeases, Host]]:
    """Two instances on the shared Redis, each with its host."""
    async with AsyncExitStack() as stack:
        pair: list[RedisLeases | Host] = []
        for _ in range(2):
            host = Host()
            leases = RedisLeases(SHARED_REDIS_URL, prefix, FAST, host.recover)
            leases.start()
            stack.push_async_callback(leases.close)
            pair += [leases, host]
        yield tuple(pair)  # type: ignore[misc]


async def test_a_second_instance_asks_the_holder_to_end_and_gets_the_lease_and_its_pace_once_released(
    instances: tuple[RedisLeases, Host, RedisLeases, Host],
) -> None:
    first, first_host, second, _ = instances
    loop = asyncio.get_running_loop()
    held = await first.acquire(KEY, StopReason.NEW_MESSAGE, first_host.interrupt)

    taking = asyncio.create_task(second.acquire(KEY, StopReason.STOP_COMMAND, lambda _: None))
    await asyncio.wait_for(first_host.interrupted.wait(), timeout=2)
    assert first_host.interrupts == [StopReason.STOP_COMMAND]
    assert not taking.done()  # It waits until the holder lets go.

    pace_until = loop.time() + 0.8
    await held.release(pace_until)
    taken = await asyncio.wait_for(taking, timeout=2)
    assert taken.pace_until == pytest.approx(pace_until, abs=0.05)
    await taken.release(0.0)


async def test_an_answer_left_by_a_dead_instance_is_finished_by_the_next_one_to_hold_the_conversation(
    instances: tuple[RedisLeases, Host, RedisLeases, Host],
) -> None:
    first, first_host, second, second_host = instances
    held = await first.acquire(KEY, StopReason.NEW_MESSAGE, first_host.interrupt)
    log = await held.begin_answer(lambda: ORIGIN)
    assert log is not None
    shown = AnswerProgress("stream-1", 3, "Because", "Because")
    await log.record(shown)
    assert await second.answering(KEY)
    await first.close()  # as if killed: what it holds is neither renewed nor released

    loop = asyncio.get_running_loop()
    died_at = loop.time()
    taken = await second.acquire(KEY, StopReason.NEW_MESSAGE, lambda _: None)
    assert loop.time() - died_at <= FAST.lease_seconds + 0.2  # waited for the lease to lapse
    assert second_host.orphans == [OrphanedAnswer(KEY, ORIGIN, shown)]
    await taken.release(0.0)
    assert not await second.answering(KEY)


async def test_an_instance_finishes_an_orphan_no_one_asks_about_within_the_lease_and_a_sweep(
    instances: tuple[RedisLeases, Host, RedisLeases, Host],
) -> None:
    first, first_host, second, second_host = instances
    held = await first.acquire(KEY, StopReason.NEW_MESSAGE, first_host.interrupt)
    log = await held.begin_answer(lambda: ORIGIN)
    assert log is not None
    await log.record(AnswerProgress(None, 0, "", ""))
    await first.close()  # as if killed: what it holds is neither renewed nor released

    await asyncio.wait_for(
        second_host.finished.wait(), timeout=FAST.lease_seconds + FAST.heartbeat_seconds + 1
    )
    assert [orphan.progress for orphan in second_host.orphans] == [AnswerProgress(None, 0, "", "")]

    async def dropped() -> bool:
        return not await second.answering(KEY)

    await eventually(dropped, within=2)  # the sweep drops the record once the host is done
    assert len(second_host.orphans) == 1


async def test_a_live_instance_keeps_its_lease_past_the_lease_time(
    instances: tuple[RedisLeases, Host, RedisLeases, Host],
) -> None:
    first, first_host, second, second_host = instances
    held = await first.acquire(KEY, StopReason.NEW_MESSAGE, first_host.interrupt)
    await held.begin_answer(lambda: ORIGIN)
    await asyncio.sleep(1.5 * FAST.lease_seconds)  # nothing may happen meanwhile: the heartbeats renew it
    assert first_host.interrupts == []
    assert second_host.orphans == []
    assert await second.answering(KEY)
    await held.release(0.0)


async def test_without_redis_a_lease_is_unavailable_and_a_held_one_ends_its_answer_at_half_its_time(
    private_redis: PrivateRedis,
) -> None:
    host = Host()
    leases = RedisLeases(private_redis.url, "bot:", FAST, host.recover, timeout=0.5)
    leases.start()
    try:
        held = await leases.acquire(KEY, StopReason.NEW_MESSAGE, host.interrupt)
        loop = asyncio.get_running_loop()
        private_redis.stop()
        stopped_at = loop.time()
        await asyncio.wait_for(host.interrupted.wait(), timeout=FAST.lease_seconds)
        assert host.interrupts == [StopReason.LEASE_LOST]
        assert loop.time() - stopped_at <= FAST.lease_seconds / 2 + FAST.heartbeat_seconds
        with pytest.raises(StorageUnavailableError, match="unavailable for conversation leases"):
            await leases.acquire("msteams/conv-2", StopReason.NEW_MESSAGE, host.interrupt)
        await held.release(0.0)  # Never raises: the lease lapses by itself.

        private_redis.start()  # Back, empty: the leases work again.
        again = await leases.acquire(KEY, StopReason.NEW_MESSAGE, host.interrupt)
        await again.release(0.0)
    finally:
        await leases.close()
