"""The driver stamps when each message went out to the bot, which is where the user's clock starts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from benchmarks import driver
from benchmarks.serving import LOOPBACK, free_port

ANSWER_AFTER = 0.05


@pytest.fixture
async def bot() -> AsyncIterator[tuple[str, list[float]]]:
    """A stand-in for the bot on loopback: records when each message arrived, answers a little later."""
    arrivals: list[float] = []

    async def messages(request: web.Request) -> web.Response:
        arrivals.append(time.monotonic())
        await request.read()
        await asyncio.sleep(ANSWER_AFTER)
        return web.Response(status=201)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, LOOPBACK, port).start()
    try:
        yield f"http://{LOOPBACK}:{port}", arrivals
    finally:
        await runner.cleanup()


async def test_a_post_is_timed_from_when_its_bytes_went_out(bot: tuple[str, list[float]]) -> None:
    url, arrivals = bot
    result = driver.PostResult("bench-000000000001")
    activity = driver.user_message(result.conversation, "msteams", "http://connector")
    async with driver.client_session() as session:
        await driver._post(session, url, activity, result)

    assert result.status == 201
    assert result.started_at is not None and result.sent_at is not None and result.done_at is not None
    assert result.started_at <= result.sent_at <= arrivals[0] <= result.done_at
    assert result.done_at - result.sent_at >= ANSWER_AFTER


async def test_a_post_that_never_reached_the_bot_has_no_send_time() -> None:
    result = driver.PostResult("bench-000000000002")
    activity = driver.user_message(result.conversation, "msteams", "http://connector")
    async with driver.client_session() as session:
        await driver._post(session, f"http://{LOOPBACK}:{free_port()}", activity, result)  # Nobody listens.

    assert result.sent_at is None
    assert result.error is not None and result.status is None
