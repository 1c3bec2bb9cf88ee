"""Commands of concurrent callers share pipelines; each caller gets its own results, or its error."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from redis.asyncio.client import Pipeline
from redis.exceptions import ResponseError

from storage.redis_command_batch import CommandBatch
from storage.redis_rows import redis_client
from tests.support.redis_servers import SHARED_REDIS_URL, shared_redis_prefix


@pytest.fixture
def prefix() -> Iterator[str]:
    with shared_redis_prefix() as prefix:
        yield prefix


async def test_concurrent_callers_each_get_their_own_results_and_only_their_own_error(prefix: str) -> None:
    redis = redis_client(SHARED_REDIS_URL, timeout=5.0)
    batch = CommandBatch(redis, window=0.005)
    await redis.set(f"{prefix}text", "not a number")

    def count(number: int) -> object:
        def queue(pipe: Pipeline) -> None:
            pipe.incrby(f"{prefix}counter", number)
            pipe.set(f"{prefix}caller:{number}", number)
            pipe.get(f"{prefix}caller:{number}")

        return queue

    try:
        results = await asyncio.gather(
            *(batch.run(count(number)) for number in range(1, 51)),
            batch.run(lambda pipe: pipe.incr(f"{prefix}text")),
            return_exceptions=True,
        )
        *counted, failed = results
        assert isinstance(failed, ResponseError)
        assert [result[1:] for result in counted] == [[True, str(number)] for number in range(1, 51)]
        assert sorted(result[0] for result in counted)[-1] == sum(range(1, 51))
        assert await batch.run(lambda pipe: pipe.get(f"{prefix}counter")) == [str(sum(range(1, 51)))]
    finally:
        await redis.aclose()
