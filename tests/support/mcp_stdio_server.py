"""An MCP server over stdio, started by the bot as a subprocess in the MCP tests: `python <this file>`.

Written with the same `mcp` package the bot uses. With MCP_TEST_PID_FILE set, it writes its process id
there once it is about to serve, so that a test can see whether it outlived the bot.
"""

from __future__ import annotations

import os
from pathlib import Path

import anyio
from mcp.server.mcpserver import MCPServer

server = MCPServer("inventory")


@server.tool(title="Stock check")
def count_stock(item: str) -> str:
    """How many of an item the shop has in stock."""
    return f"12 {item} in stock"


@server.tool()
def broken() -> str:
    """A tool whose backend is down."""
    raise RuntimeError("the stock database is down")


@server.tool()
async def stall() -> str:
    """A tool that never answers."""
    await anyio.sleep_forever()
    return "never"


if __name__ == "__main__":
    if pid_file := os.environ.get("MCP_TEST_PID_FILE"):
        Path(pid_file).write_text(str(os.getpid()))
    server.run("stdio")
