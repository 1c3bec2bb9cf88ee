"""The per-user limits in Redis: two `RedisLimits` stand for two instances of the bot on one Redis."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
import redis.asyncio

from safety.settings import SafetySettings
from safety.shared_limits import RedisLimits
from safety.token_buckets import TokenBuckets
from storage import StorageUnavailableError
from tests.support.redis_servers import SHARED_REDIS_URL, PrivateRedis, shared_redis_prefix

# A bucket of 3 that refills one message every half second.
SETTINGS = SafetySettings(message_burst=3, messages_per_minute=120.0)
REFILL_SECONDS = 0.5
# For the tests of answers in progress, a bucket that never runs out.
UNLIMITED = SafetySettings(message_burst=1000)

ROOT = Path(__file__).resolve().parents[2]

OpenLimits = Callable[..., RedisLimits]


@pytest.fixture
def prefix() -> Iterator[str]:
    """This test's own key prefix on the shared Redis."""
    with shared_redis_prefix() as prefix:
        yield prefix


@pytest.fixture
async def open_limits(prefix: str) -> AsyncIterator[OpenLimits]:
    """Opens `RedisLimits` on the shared Redis under this test's own prefix (or on `url`): one per
    instance of the bot the test stands for."""
    async with AsyncExitStack() as stack:

        def open_limits(
            url: str = SHARED_REDIS_URL, settings: SafetySettings = SETTINGS, **options: float
        ) -> RedisLimits:
            limits = RedisLimits(url, key_prefix=prefix, settings=settings, **options)
            stack.push_async_callback(limits.close)
            return limits

        yield open_limits


async def takes(limits: RedisLimits, user: str, count: int) -> list[bool]:
    """Whether each of `count` messages of `user` was within their rate."""
    return [(await limits.count(user, "msteams/conv-a")).within_rate for _ in range(count)]


async def elsewhere(limits: RedisLimits, user: str, conversation_key: str) -> int:
    """The user's answers in progress outside `conversation_key`, as a message there counts them."""
    return (await limits.count(user, conversation_key)).answers_elsewhere


async def test_instances_take_from_one_bucket_per_user_and_it_refills_at_the_rate(
    open_limits: OpenLimits,
) -> None:
    first, second = open_limits(), open_limits()
    assert await takes(first, "ann", 2) + await takes(second, "ann", 2) == [True, True, True, False]
    assert await takes(second, "bob", 3) == [True, True, True]  # another user's bucket

    await asyncio.sleep(REFILL_SECONDS)  # time for one message to refill
    assert await takes(first, "ann", 1) == [True]
    assert await takes(second, "ann", 1) == [False]  # refilled by one, not reset


async def test_the_shared_bucket_answers_as_one_instances_bucket_does(open_limits: OpenLimits) -> None:
    """The same settings mean the same with one instance or several: the same answers to a burst."""
    here, shared = TokenBuckets(SETTINGS), open_limits()
    burst = [here.take("ann") for _ in range(5)]
    assert burst == [True, True, True, False, False]
    assert await takes(shared, "ann", 5) == burst


async def test_answers_running_on_any_instance_count_for_their_user_outside_their_conversation(
    open_limits: OpenLimits,
) -> None:
    first, second = open_limits(settings=UNLIMITED), open_limits(settings=UNLIMITED)
    async with first.running("ann", "msteams/conv-a"):
        assert await elsewhere(second, "ann", "msteams/conv-b") == 1
        async with second.running("ann", "msteams/conv-b"):
            assert await elsewhere(first, "ann", "msteams/conv-c") == 2
            assert await elsewhere(first, "ann", "msteams/conv-a") == 1  # its own conversation is not counted
            assert await elsewhere(first, "bob", "msteams/conv-c") == 0
        assert await elsewhere(first, "ann", "msteams/conv-c") == 1
    assert await elsewhere(second, "ann", "msteams/conv-c") == 0


# An instance that marks an answer as running, says so, and waits to be killed.
DYING_INSTANCE = """
import asyncio, sys
from safety.settings import SafetySettings
from safety.shared_limits import RedisLimits

async def main():
    settings = SafetySettings()
    limits = RedisLimits(sys.argv[1], key_prefix=sys.argv[2], settings=settings, answer_mark_seconds=0.5)
    async with limits.running("ann", "msteams/conv-a"):
        print("marked", flush=True)
        await asyncio.Event().wait()

asyncio.run(main())
"""


async def test_an_answer_whose_instance_was_killed_stops_counting_when_its_mark_lapses(
    open_limits: OpenLimits, prefix: str
) -> None:
    survivor = open_limits(settings=UNLIMITED)
    dying = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        DYING_INSTANCE,
        SHARED_REDIS_URL,
        prefix,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert await asyncio.wait_for(dying.stdout.readline(), 10) == b"marked\n"  # type: ignore[union-attr]
        assert await elsewhere(survivor, "ann", "msteams/conv-b") == 1
    finally:
        dying.kill()  # kill -9: no unmarking
        await dying.wait()
    killed = time.monotonic()
    await wait_until(lambda: elsewhere(survivor, "ann", "msteams/conv-b"), 0, within=3.0)
    assert time.monotonic() - killed < 1.5  # the half-second mark lapsed, and nothing renewed it


async def test_redis_down_or_slow_is_a_storage_outage_for_checks_and_never_holds_an_answer(
    open_limits: OpenLimits, private_redis: PrivateRedis
) -> None:
    limits = open_limits(private_redis.url, timeout=0.5)
    assert await takes(limits, "ann", 1) == [True]

    # Slow: Redis holds every client's commands for longer than the limits wait.
    async with redis.asyncio.Redis.from_url(private_redis.url) as admin:
        await admin.execute_command("CLIENT", "PAUSE", "1500", "ALL")
    started = time.monotonic()
    with pytest.raises(StorageUnavailableError, match=r"Redis at 127\.0\.0\.1:\d+ is unavailable"):
        await takes(limits, "ann", 1)
    assert time.monotonic() - started < 1.0

    private_redis.stop()
    with pytest.raises(StorageUnavailableError):
        await elsewhere(limits, "ann", "msteams/conv-a")
    async with limits.running("ann", "msteams/conv-a"):  # the answer goes on, unmarked
        pass

    private_redis.start()  # back, empty: the next check works on the same object
    assert await takes(limits, "ann", 1) == [True]
    assert await elsewhere(limits, "ann", "msteams/conv-b") == 0


async def wait_until(count: Callable[[], Awaitable[int]], expected: int, within: float = 1.0) -> None:
    """Wait until `count()` gives `expected` (a lapsing mark is a matter of time)."""
    deadline = time.monotonic() + within
    while (found := await count()) != expected:
        assert time.monotonic() < deadline, f"still {found}, not {expected}"
        await asyncio.sleep(0.01)
