"""The configured MCP servers, together: started with the bot, their tools offered while connected."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from answers.tools import Tool

from .settings import McpServerSettings

if TYPE_CHECKING:
    from .connection import ServerConnection


class McpServers:
    """Connects to every server in the background (see `ServerConnection`); never holds up an answer.

    With no servers configured it does nothing, and the MCP SDK is not even imported: it takes about
    a second, which a bot without MCP servers need not pay at each start.
    """

    def __init__(self, settings: Sequence[McpServerSettings], **timing: Any) -> None:
        """`timing`: `ServerConnection`'s time limit and retry delays, for tests."""
        self.connections: tuple[ServerConnection, ...] = ()
        if settings:
            from .connection import ServerConnection

            self.connections = tuple(ServerConnection(server, **timing) for server in settings)

    def start(self) -> None:
        """Start connecting to each server; returns at once."""
        for connection in self.connections:
            connection.start()

    def tools(self) -> tuple[Tool, ...]:
        """The tools of the servers connected now (a name taken twice keeps its first tool)."""
        tools: dict[str, Tool] = {}
        for connection in self.connections:
            for tool in connection.tools:
                tools.setdefault(tool.name, tool)
        return tuple(tools.values())

    def report(self) -> dict[str, object]:
        """Each server's state, for /readyz."""
        return {connection.name: connection.report() for connection in self.connections}

    async def settled(self) -> None:
        """Wait until each server has been tried once (connected or not)."""
        await asyncio.gather(*(connection.tried.wait() for connection in self.connections))

    async def close(self) -> None:
        """Close every session and end the stdio servers."""
        await asyncio.gather(*(connection.close() for connection in self.connections))
