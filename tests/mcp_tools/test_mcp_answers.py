"""MCP tools through the bot: real MCP servers (one the bot starts over stdio, one over Streamable HTTP
on loopback) whose tools the model is offered, calls, and reads the results or the errors of."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app import MCP_SERVERS
from tests.conftest import StartBot
from tests.support.activities import user_message
from tests.support.bot import BotClient
from tests.support.connector import Received, RecordingConnector
from tests.support.mcp_servers import (
    HttpMcpServer,
    mcp_servers_env,
    refused_url,
    served_over_http,
    silent_url,
    stdio_server,
    weather_server,
)
from tests.support.model_server import ModelRequest, ModelServer, ScriptedCall


@pytest.fixture(autouse=True)
def quick_model(model_server: ModelServer) -> None:
    model_server.tokens, model_server.token_delay = ["All ", "done."], 0.01


@pytest.fixture
def forecast_release() -> asyncio.Event:
    """Set to let the weather server's forecast answer."""
    return asyncio.Event()


@pytest.fixture
async def weather(forecast_release: asyncio.Event) -> AsyncIterator[HttpMcpServer]:
    async with served_over_http(weather_server(forecast_release)) as server:
        yield server


@pytest.fixture
async def silent() -> AsyncIterator[str]:
    """A server that never answers; set up before the bot, so that it outlives the bot's connection."""
    async with silent_url() as url:
        yield url


def call(call_id: str, name: str, **arguments: object) -> ScriptedCall:
    return ScriptedCall(call_id, name, json.dumps(arguments))


def offered(request: ModelRequest) -> dict[str, dict[str, Any]]:
    """The functions a model request offers, by name."""
    return {tool["function"]["name"]: tool["function"] for tool in request.body.get("tools", [])}


def tool_results(request: ModelRequest) -> dict[str, str]:
    return {m["tool_call_id"]: m["content"] for m in request.body["messages"] if m["role"] == "tool"}


def informative(item: Received) -> str | None:
    info = item.stream_info
    return item.activity.get("text") if info and info.get("streamType") == "informative" else None


async def start_with_mcp(start_bot: StartBot, env: dict[str, str]) -> BotClient:
    """The bot, once each of its MCP servers has been tried (the bot serves before that)."""
    bot = await start_bot(env)
    await bot.app[MCP_SERVERS].settled()
    return bot


async def ask(bot: BotClient, connector: RecordingConnector, text: str, *, teams: bool = False) -> None:
    """Post a question: on Teams (status lines shown, at Teams' pace), or on the Emulator (quick)."""
    where = (
        {"channel_id": "msteams", "conversation_type": "personal"} if teams else {"channel_id": "emulator"}
    )
    await bot.post_activity(user_message(text, connector.url, **where))


async def readyz(bot: BotClient) -> tuple[int, dict[str, Any]]:
    async with bot.session.get(f"{bot.url}/readyz") as response:
        return response.status, await response.json()


async def test_the_model_gets_the_tools_of_both_servers_and_their_results(
    start_bot: StartBot,
    model_env: dict[str, str],
    model_server: ModelServer,
    connector: RecordingConnector,
    weather: HttpMcpServer,
    forecast_release: asyncio.Event,
) -> None:
    env = mcp_servers_env(
        inventory=stdio_server(),
        weather={"url": weather.url, "headers": {"Authorization": "Bearer weather-token"}},
    )
    model_server.tool_rounds = [
        [
            call("call_stock", "inventory__count_stock", item="umbrellas"),
            call("call_sky", "weather__forecast", city="Paris"),
        ]
    ]
    bot = await start_with_mcp(start_bot, {**model_env, **env})
    await ask(bot, connector, "Will I need an umbrella, and do you have one?", teams=True)
    # The user sees what runs (the tool's title where it has one) while it runs, before the answer.
    status = "Using Stock check… Using forecast…"
    await connector.wait_until(lambda: status in [informative(item) for item in connector.accepted()])
    assert connector.bubbles() == []
    forecast_release.set()
    assert await connector.wait_for_answers() == ["All done."]

    first, second = model_server.requests
    tools = offered(first)
    assert set(tools) == {
        "inventory__count_stock",
        "inventory__broken",
        "inventory__stall",
        "weather__forecast",
        "weather__warnings",
    }
    assert tools["inventory__count_stock"]["description"] == "How many of an item the shop has in stock."
    assert tools["weather__forecast"]["description"] == "Tomorrow's weather in a city."
    schema = tools["weather__forecast"]["parameters"]
    assert schema["type"] == "object" and schema["required"] == ["city"]
    assert schema["properties"]["city"]["type"] == "string"
    # The results go back to the model as the calls' tool messages.
    assert tool_results(second) == {
        "call_stock": "12 umbrellas in stock",
        "call_sky": "Sunny in Paris tomorrow, 24 °C.",
    }
    # The configured header reached the HTTP server with every request.
    assert weather.authorization and set(weather.authorization) == {"Bearer weather-token"}

    status, body = await readyz(bot)
    assert status == 200 and body["status"] == "ready"
    assert body["mcp_servers"] == {
        "inventory": {"ok": True, "detail": "connected", "tools": 3},
        "weather": {"ok": True, "detail": "connected", "tools": 2},
    }


async def test_a_server_that_is_down_is_reported_and_its_tools_are_not_offered(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    async with refused_url() as url:
        env = mcp_servers_env(
            inventory=stdio_server(tools=["count_stock"]),
            weather={"url": url},
            missing={"command": "/nonexistent/mcp-server"},
        )
        bot = await start_with_mcp(start_bot, {**model_env, **env})

    status, body = await readyz(bot)
    assert status == 200 and body["status"] == "ready"  # the bot answers without them
    servers = body["mcp_servers"]
    assert servers["inventory"] == {"ok": True, "detail": "connected", "tools": 1}
    assert servers["weather"]["ok"] is False and servers["weather"]["tools"] == 0
    assert servers["weather"]["detail"].startswith("not connected: ConnectError; next try within")
    assert servers["missing"]["detail"].startswith("not connected: FileNotFoundError; next try within")
    assert url.split("/")[2] not in json.dumps(body) and "nonexistent" not in json.dumps(body)

    await ask(bot, connector, "Anything in stock?")
    assert await connector.wait_for_answers() == ["All done."]
    [request] = model_server.requests
    assert set(offered(request)) == {"inventory__count_stock"}  # only the allowed tool of the one up


async def test_the_bot_serves_and_answers_while_a_server_is_still_connecting(
    silent: str,
    start_bot: StartBot,
    model_env: dict[str, str],
    model_server: ModelServer,
    connector: RecordingConnector,
) -> None:
    bot = await start_bot({**model_env, **mcp_servers_env(slow={"url": silent})})
    status, body = await readyz(bot)
    assert status == 200 and body["mcp_servers"] == {
        "slow": {"ok": False, "detail": "connecting", "tools": 0}
    }
    await ask(bot, connector, "Hello?")
    assert await connector.wait_for_answers() == ["All done."]
    [request] = model_server.requests
    assert "tools" not in request.body  # no tool yet: the answer did not wait for one
    assert not bot.app[MCP_SERVERS].connections[0].tried.is_set()  # still connecting


async def test_the_offline_model_starts_no_mcp_server(
    start_bot: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await start_bot(mcp_servers_env(inventory=stdio_server()))
    assert bot.app[MCP_SERVERS].connections == ()
    assert "MCP_SERVERS is set, but the offline model calls no MCP tool" in caplog.text
    status, body = await readyz(bot)
    assert status == 200 and "mcp_servers" not in body


async def test_a_tool_that_fails_or_hangs_gives_the_model_an_error(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    env = mcp_servers_env(inventory=stdio_server(timeout=0.5))
    model_server.tool_rounds = [
        [
            call("call_broken", "inventory__broken"),
            call("call_stall", "inventory__stall"),
            call("call_bad", "inventory__count_stock", items=3),
        ]
    ]
    bot = await start_with_mcp(start_bot, {**model_env, **env})
    await ask(bot, connector, "Anything in stock?")
    assert await connector.wait_for_answers() == ["All done."]

    results = tool_results(model_server.requests[1])
    assert results["call_broken"] == "Error: inventory__broken failed: Error executing tool broken"
    assert results["call_stall"] == "Error: inventory__stall did not answer within 0.5 seconds."
    assert results["call_bad"].startswith("Error: inventory__count_stock failed: ")
    assert "item" in results["call_bad"]  # the server's word on the missing argument, for the model

    # A call that timed out leaves the server connected and usable.
    model_server.tool_rounds = [[call("call_again", "inventory__count_stock", item="boots")]]
    await ask(bot, connector, "And boots?")
    await bot.answers_done()
    assert tool_results(model_server.requests[-1]) == {"call_again": "12 boots in stock"}
