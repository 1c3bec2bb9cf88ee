"""One tool of an MCP server, offered to the model as an `answers.tools.Tool`."""

from __future__ import annotations

import re
from typing import Protocol

import mcp_types
from mcp import MCPError

from answers.tools import ToolResult

from .results import result_text
from .settings import McpServerSettings


class ToolServer(Protocol):
    """The connection a tool is called through (`connection.ServerConnection`)."""

    name: str
    settings: McpServerSettings

    async def call(self, tool: str, arguments: dict[str, object]) -> mcp_types.CallToolResult: ...


MAX_NAME_CHARS = 64
"""The longest function name the model APIs take."""
MAX_DESCRIPTION_CHARS = 1024
"""Every request carries every tool's description: a long one costs each answer."""
MAX_ERROR_CHARS = 300
_REFUSED_IN_NAMES = re.compile(r"[^A-Za-z0-9_-]")


def tool_name(server: str, tool: str) -> str:
    """`<server>__<tool>`: the server's name keeps tools of different servers apart; characters the
    model APIs refuse become '_'."""
    return _REFUSED_IN_NAMES.sub("_", f"{server}__{tool}")[:MAX_NAME_CHARS]


class McpTool:
    """Calls `listed` on `server` for the model; every failure is a short text the model reads."""

    def __init__(self, server: ToolServer, listed: mcp_types.Tool) -> None:
        self._server = server
        self.remote_name = listed.name
        self.name = tool_name(server.name, listed.name)
        title = listed.title or (listed.annotations and listed.annotations.title) or listed.name
        self.description = (listed.description or title)[:MAX_DESCRIPTION_CHARS]
        self.parameters: dict[str, object] = listed.input_schema
        self.status = f"Using {title}…"
        self.timeout = server.settings.timeout  # the session's limit too: whichever ends first, same text

    async def run(self, arguments: dict[str, object]) -> ToolResult:
        """The tool's result as text, or why there is none."""
        try:
            result = await self._server.call(self.remote_name, arguments)
        except MCPError as error:
            if error.code == mcp_types.REQUEST_TIMEOUT:
                return ToolResult(f"Error: {self.name} did not answer within {self.timeout:g} seconds.")
            if error.code == mcp_types.CONNECTION_CLOSED:
                return ToolResult(f"Error: {self.name} cannot be reached now; answer without it.")
            return ToolResult(f"Error: {self.name} failed: {error.message[:MAX_ERROR_CHARS]}")
        return ToolResult(result_text(result, self.name))
