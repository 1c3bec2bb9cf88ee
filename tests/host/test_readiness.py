"""/readyz: 200 when the storage and the model answer, 503 (with which one did not) when either fails."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from benchmarks.serving import free_port
from llm.chat_model import ModelError
from llm.circuit_breaker import CircuitBreakerModel
from tests.conftest import StartBot
from tests.support.bot import BotClient
from tests.support.loopback import serve
from tests.support.redis_servers import PrivateRedis


async def readyz(bot: BotClient) -> tuple[int, dict[str, Any]]:
    async with bot.session.get(f"{bot.url}/readyz") as response:
        return response.status, await response.json()


class ModelsEndpoint:
    """An OpenAI-compatible server's `GET /v1/models`, answering with a status the test sets."""

    def __init__(self) -> None:
        self.status = 200
        self.delay = 0.0
        self.requests = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1/models", self._models)
        return app

    async def _models(self, request: web.Request) -> web.Response:
        self.requests += 1
        await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.json_response({"error": {"message": "no", "type": "test"}}, status=self.status)
        return web.json_response({"object": "list", "data": [{"id": "local-test-model", "object": "model"}]})


@pytest.fixture
async def models() -> AsyncIterator[tuple[ModelsEndpoint, str]]:
    endpoint = ModelsEndpoint()
    async with serve(endpoint.app()) as url:
        yield endpoint, f"{url}/v1"


async def test_offline_model_and_memory_storage_are_ready(start_bot: StartBot) -> None:
    bot = await start_bot({})
    status, body = await readyz(bot)
    assert status == 200
    assert body["status"] == "ready"
    assert body["storage"]["ok"] and body["model"]["ok"]
    assert body["model"]["detail"] == "the offline model needs no service"


@pytest.mark.parametrize(
    ("model_status", "ready", "detail"),
    [
        (200, True, "the model service answered"),
        (404, True, "the model service answered HTTP 404"),  # a server with no model list
        (429, True, "the model service answered HTTP 429"),
        (401, False, "the model service answered HTTP 401"),
        (403, False, "the model service answered HTTP 403"),
        (503, False, "the model service answered HTTP 503"),
    ],
)
async def test_the_model_service_is_asked_for_its_model_list(
    start_bot: StartBot,
    models: tuple[ModelsEndpoint, str],
    model_status: int,
    ready: bool,
    detail: str,
) -> None:
    endpoint, base_url = models
    endpoint.status = model_status
    bot = await start_bot({"OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": "sk-test"})
    status, body = await readyz(bot)
    assert (status, body["status"], body["model"]) == (
        200 if ready else 503,
        "ready" if ready else "not ready",
        {"ok": ready, "detail": detail, "seconds": body["model"]["seconds"]},
    )
    assert endpoint.requests == 1  # not retried: a probe must answer fast


async def test_an_unreachable_model_server_is_not_ready(start_bot: StartBot) -> None:
    bot = await start_bot({"OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1"})
    status, body = await readyz(bot)
    assert status == 503
    assert body["model"]["detail"] == "the model service could not be reached"
    assert body["storage"]["ok"]


async def test_a_silent_model_server_is_not_ready_after_the_timeout(
    start_bot: StartBot, models: tuple[ModelsEndpoint, str]
) -> None:
    endpoint, base_url = models
    endpoint.delay = 5.0
    bot = await start_bot({"OPENAI_BASE_URL": base_url, "READY_TIMEOUT_SECONDS": "0.5"})
    status, body = await readyz(bot)
    assert status == 503
    assert body["model"]["detail"] in {"the model service did not answer in time", "no answer within 0.5 s"}
    assert body["model"]["seconds"] < 2


class _FailingModel:
    description = "a model that always fails"

    async def stream_chat(self, messages: Any, *, temperature: float | None = None) -> AsyncIterator[str]:
        raise ModelError("the model service could not be reached")
        yield ""  # pragma: no cover - makes this an async generator

    async def check_ready(self, within: float) -> str:
        return "the model service answered"

    async def close(self) -> None:
        pass


async def test_an_open_circuit_is_not_ready() -> None:
    breaker = CircuitBreakerModel(_FailingModel(), failure_threshold=1, cooldown=60)
    assert await breaker.check_ready(1.0) == "the model service answered"
    with pytest.raises(ModelError):
        async for _ in breaker.stream_chat([{"role": "user", "content": "hi"}]):
            pass
    with pytest.raises(ModelError, match="giving it time to recover"):
        await breaker.check_ready(1.0)


async def test_redis_down_is_not_ready_and_back_up_is_ready(start_bot: StartBot, tmp_path: Path) -> None:
    with PrivateRedis(tmp_path) as redis:
        bot = await start_bot({"STORAGE": "redis", "REDIS_URL": redis.url})
        status, body = await readyz(bot)
        assert (status, body["storage"]["ok"]) == (200, True)

        redis.stop()
        status, body = await readyz(bot)
        assert (status, body["status"], body["storage"]["ok"]) == (503, "not ready", False)
        assert body["model"]["ok"]
        assert "127.0.0.1" not in str(body)  # where the storage is stays in the log

        redis.start()  # Redis is back on the same port.
        status, body = await readyz(bot)
        assert (status, body["storage"]["ok"]) == (200, True)


async def test_sqlite_at_an_unusable_path_is_not_ready(start_bot: StartBot, tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the database's folder should be")
    bot = await start_bot({"STORAGE": "sqlite", "SQLITE_PATH": str(blocker / "bot-state.sqlite3")})
    status, body = await readyz(bot)
    assert (status, body["storage"]["ok"]) == (503, False)
    assert str(tmp_path) not in str(body)


async def test_a_bot_shutting_down_is_not_ready(start_bot: StartBot) -> None:
    bot = await start_bot({})
    await bot.app.shutdown()
    assert await readyz(bot) == (503, {"status": "shutting down"})
