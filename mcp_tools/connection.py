"""One MCP server, kept connected in the background: its tools while it is, why not while it is not.

The connection lives in a task of its own, because the SDK's client must be closed by the task that
opened it. The task connects (start the command, or reach the URL), lists the server's tools within
`connect_timeout`, offers them, and waits; when the connection fails or is lost (the transport fails,
or a call finds it closed), the tools are withdrawn and the task tries again after a backoff that
doubles from `retry_first` up to `retry_cap` seconds, without end: a server that comes back is used
again from the next answer on. Cancelling the task closes the session; the SDK then ends a stdio
server (its stdin closed, then SIGTERM and SIGKILL to its process group).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx2
import mcp_types
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from streaming.pacing import backoff

from .settings import MAX_TIMEOUT, McpServerSettings
from .tool import McpTool

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
"""Seconds to start or reach a server and list its tools."""
RETRY_FIRST = 1.0
RETRY_CAP = 60.0
MAX_TOOLS = 40
"""Tools offered from one server: each costs every request context, and model APIs cap the total."""
MAX_TOOL_PAGES = 10


class ServerConnection:
    """Keeps one MCP server connected, and calls its tools."""

    def __init__(
        self,
        settings: McpServerSettings,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        retry_first: float = RETRY_FIRST,
        retry_cap: float = RETRY_CAP,
    ) -> None:
        self.settings = settings
        self.name = settings.name
        self.tools: tuple[McpTool, ...] = ()
        """The tools offered to the model: none while the server is not connected."""
        self.connected = asyncio.Event()
        self.tried = asyncio.Event()
        """Set once the first attempt to connect has succeeded or failed."""
        self._connect_timeout = connect_timeout
        self._retry_first = retry_first
        self._retry_cap = retry_cap
        self._client: Client | None = None
        self._lost = asyncio.Event()
        self._problem = "connecting"
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Connect in the background, and keep connecting."""
        self._task = asyncio.create_task(self._keep_connected(), name=f"MCP server {self.name}")

    async def close(self) -> None:
        """Close the session (and end a stdio server); its tools are gone."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task})

    def report(self) -> dict[str, object]:
        """For /readyz: connected or not, and why not in words that name no host, path or secret."""
        if self.connected.is_set():
            return {"ok": True, "detail": "connected", "tools": len(self.tools)}
        return {"ok": False, "detail": self._problem, "tools": 0}

    async def call(self, tool: str, arguments: dict[str, object]) -> mcp_types.CallToolResult:
        """Call `tool` within the server's time limit; MCPError if it cannot (CONNECTION_CLOSED if the
        server is not connected, REQUEST_TIMEOUT if the call took too long)."""
        client = self._client
        if client is None:
            raise MCPError(mcp_types.CONNECTION_CLOSED, f"the MCP server {self.name} is not connected")
        try:
            return await client.call_tool(tool, arguments, read_timeout_seconds=self.settings.timeout)
        except MCPError as error:
            if error.code == mcp_types.CONNECTION_CLOSED and client is self._client:
                self._lost.set()  # The task reconnects.
            raise

    async def _keep_connected(self) -> None:
        failures = 0
        while True:
            try:
                async with self._session() as client:
                    failures = 0
                    self._client = client
                    self.connected.set()
                    self.tried.set()
                    await self._lost.wait()
                problem = "the connection was lost"
                logger.warning("MCP server %s: the connection was lost", self.name)
            except Exception as error:
                problem = self._describe(error)
                logger.log(
                    logging.WARNING if failures == 0 else logging.INFO,
                    "MCP server %s is not connected: %r",
                    self.name,
                    _innermost(error),
                )
            finally:
                self._client, self.tools = None, ()
                self.connected.clear()
                self._lost.clear()
            delay = backoff(failures, self._retry_first, self._retry_cap)
            failures += 1
            self._problem = f"not connected: {problem}; next try within {delay:.0f} s"
            self.tried.set()
            await asyncio.sleep(delay)

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[Client]:
        """A connected client whose tools are listed and offered, all within the connect time limit."""
        async with AsyncExitStack() as stack:
            async with asyncio.timeout(self._connect_timeout):
                client = await stack.enter_async_context(await self._client_for(stack))
                listed = await _list_tools(client)
            self.tools = self._offered(listed)
            logger.info("MCP server %s connected: %d tools offered", self.name, len(self.tools))
            yield client

    async def _client_for(self, stack: AsyncExitStack) -> Client:
        """The SDK client for the server's transport (an HTTP client on `stack` for a URL)."""
        settings = self.settings
        if settings.transport == "stdio":
            command = StdioServerParameters(
                command=settings.command, args=list(settings.args), env=dict(settings.env)
            )
            return Client(command)
        http = await stack.enter_async_context(
            httpx2.AsyncClient(
                headers=dict(settings.headers),
                # A call may stream its result for as long as its own time limit, which the session enforces.
                timeout=httpx2.Timeout(self._connect_timeout, read=MAX_TIMEOUT),
            )
        )
        return Client(streamable_http_client(settings.url, http_client=http))

    def _offered(self, listed: list[mcp_types.Tool]) -> tuple[McpTool, ...]:
        """The listed tools the settings allow, under names unique to this bot, at most MAX_TOOLS."""
        allowed = self.settings.tools
        if allowed is not None and (missing := allowed - {tool.name for tool in listed}):
            logger.warning("MCP server %s lists no tool named %s", self.name, ", ".join(sorted(missing)))
        tools: dict[str, McpTool] = {}
        for listing in listed:
            if allowed is not None and listing.name not in allowed:
                continue
            tool = McpTool(self, listing)
            if tool.name in tools:
                logger.warning("MCP server %s: tool %r left out: its name is taken", self.name, listing.name)
                continue
            tools[tool.name] = tool
        if len(tools) > MAX_TOOLS:
            logger.warning(
                "MCP server %s lists %d tools: the first %d are offered (name the ones to offer in `tools`)",
                self.name,
                len(tools),
                MAX_TOOLS,
            )
        return tuple(tools.values())[:MAX_TOOLS]

    def _describe(self, error: Exception) -> str:
        """Why the connection failed, for /readyz: the kind of failure, never its message."""
        innermost = _innermost(error)
        if isinstance(innermost, TimeoutError):
            return f"no answer within {self._connect_timeout:g} s"
        if isinstance(innermost, MCPError):
            return f"MCP error {innermost.code}"
        return type(innermost).__name__


async def _list_tools(client: Client) -> list[mcp_types.Tool]:
    """Every tool the server lists, page after page (at most MAX_TOOL_PAGES)."""
    listed: list[mcp_types.Tool] = []
    cursor: str | None = None
    for _ in range(MAX_TOOL_PAGES):
        page = await client.list_tools(cursor=cursor)
        listed.extend(page.tools)
        cursor = page.next_cursor
        if cursor is None:
            break
    return listed


def _innermost(error: BaseException) -> BaseException:
    """The first error inside the SDK's exception groups: the one that says what happened."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error
