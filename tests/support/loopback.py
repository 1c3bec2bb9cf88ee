"""Serve an aiohttp application on a free loopback port for the length of a test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol, TypeVar

from aiohttp import web


class LocalServer(Protocol):
    """A test's stand-in for a remote service: its aiohttp app, and the URL it is served at."""

    url: str

    def app(self) -> web.Application: ...


Server = TypeVar("Server", bound=LocalServer)


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Run `app` on 127.0.0.1 with a free port; yield its base URL (no trailing slash).

    Handlers are cancelled when their client disconnects, so a test server can see it happen.
    """
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # aiohttp exposes the bound port only here.
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def served(server: Server) -> AsyncIterator[Server]:
    """`server`'s app, served as `serve` does, with `server.url` set to where it is."""
    async with serve(server.app()) as url:
        server.url = url
        yield server
