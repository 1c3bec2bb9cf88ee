"""Real MCP servers for the MCP tests, written with the same `mcp` package the bot uses: the stdio one
the bot starts (mcp_stdio_server.py), and a Streamable HTTP one served here on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from aiohttp import web
from mcp.server.mcpserver import MCPServer

from tests.support.loopback import serve

STDIO_SERVER = Path(__file__).with_name("mcp_stdio_server.py")


def stdio_server(pid_file: Path | None = None, **settings: object) -> dict[str, object]:
    """An MCP_SERVERS entry that starts mcp_stdio_server.py (the "inventory" tools)."""
    env = {"MCP_TEST_PID_FILE": str(pid_file)} if pid_file else {}
    return {"command": sys.executable, "args": [str(STDIO_SERVER)], "env": env, **settings}


def mcp_servers_env(**servers: dict[str, object]) -> dict[str, str]:
    """The MCP_SERVERS setting for these servers, by name."""
    return {"MCP_SERVERS": json.dumps(servers)}


def weather_server(forecast_release: asyncio.Event | None = None) -> MCPServer:
    """An MCP server with two weather tools; `forecast` answers once `forecast_release` is set, if given."""
    server = MCPServer("weather")

    @server.tool()
    async def forecast(city: str) -> str:
        """Tomorrow's weather in a city."""
        if forecast_release is not None:
            await forecast_release.wait()
        return f"Sunny in {city} tomorrow, 24 °C."

    @server.tool()
    def warnings(region: str) -> str:
        """Weather warnings in force in a region."""
        return f"No warnings in {region}."

    return server


def free_socket() -> socket.socket:
    """A socket bound to a free loopback port, not yet listening: connecting to it is refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


@dataclass
class HttpMcpServer:
    """`server` over Streamable HTTP on 127.0.0.1 (see `served_over_http`); records what it was sent."""

    server: MCPServer
    url: str = ""
    authorization: list[str] = field(default_factory=list)
    """The Authorization header of each request."""

    async def asgi(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            self.authorization.append(headers.get(b"authorization", b"").decode())
        await self._app(scope, receive, send)

    def __post_init__(self) -> None:
        self._app = self.server.streamable_http_app()


@asynccontextmanager
async def served_over_http(
    server: MCPServer, sock: socket.socket | None = None
) -> AsyncIterator[HttpMcpServer]:
    """Serve `server` on `sock` (by default a free loopback port) until the block ends."""
    sock = sock or free_socket()
    http = HttpMcpServer(server)
    http.url = f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
    uvicorn_server = uvicorn.Server(
        uvicorn.Config(http.asgi, interface="asgi3", log_level="warning", lifespan="on")
    )
    serving = asyncio.create_task(uvicorn_server.serve(sockets=[sock]))
    try:
        while not uvicorn_server.started:  # uvicorn has no event for it
            if serving.done():
                serving.result()  # its start-up failure
            await asyncio.sleep(0.01)
        yield http
    finally:
        uvicorn_server.should_exit = True
        try:
            await serving
        finally:
            sock.close()


@asynccontextmanager
async def refused_url() -> AsyncIterator[str]:
    """An MCP URL on loopback where nothing listens: every connection is refused."""
    with free_socket() as sock:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"


@asynccontextmanager
async def silent_url() -> AsyncIterator[str]:
    """An MCP URL whose server takes requests and never answers them: a server that hangs."""

    async def never_answers(_request: web.Request) -> web.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    app = web.Application()
    app.router.add_post("/mcp", never_answers)
    async with serve(app) as url:
        yield f"{url}/mcp"
