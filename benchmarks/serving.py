"""Serving the benchmark's own local servers: loopback only, a deep accept queue, the port announced.

The model server and the connector run as subprocesses of `benchmarks.run`; each binds a free
loopback port and prints it as its first line of output, so the parent needs no port guessing.
"""

from __future__ import annotations

import asyncio
import signal
import socket

from aiohttp import web

LOOPBACK = "127.0.0.1"
# aiohttp's default accept backlog (128) drops connections when a thousand clients connect at once.
BACKLOG = 4096
READY_PREFIX = "listening on port "


def free_port() -> int:
    """A loopback port that is free right now (the caller binds it soon after)."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


async def serve_until_stopped(app: web.Application, port: int) -> None:
    """Serve `app` on loopback, announce the bound port on stdout, and run until SIGTERM or SIGINT."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, LOOPBACK, port, backlog=BACKLOG)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # aiohttp exposes the bound port only here.
    print(f"{READY_PREFIX}{bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
