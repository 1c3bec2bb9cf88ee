"""MCP server connections: slow or failing servers never hold anything up, lost ones come back, and a
stdio server never outlives the bot. Real servers (see tests/support/mcp_servers.py), quick timings."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from answers.tools import Tool
from mcp_tools import McpServers, parse_servers
from mcp_tools.tool import tool_name
from tests.support.bot_process import BotProcess
from tests.support.mcp_servers import (
    free_socket,
    served_over_http,
    silent_url,
    stdio_server,
    weather_server,
)
from tests.support.model_server import ModelServer

QUICK = {"connect_timeout": 2.0, "retry_first": 0.05, "retry_cap": 0.2}


def servers(**entries: dict[str, object]) -> McpServers:
    return McpServers(parse_servers(json.dumps(entries)), **QUICK)


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie, dead but not yet reaped, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def eventually(condition: Callable[[], bool], within: float = 10.0) -> bool:
    """Poll `condition` until it holds: a process not ours, or a file another process writes, gives
    nothing to wait on. Run in a thread, so that the test's servers keep answering."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


async def gone(pid: int) -> bool:
    """Whether the process ends within a few seconds."""
    return await asyncio.to_thread(eventually, lambda: not alive(pid))


def written_pid(pid_file: Path) -> int:
    """The process id a server wrote to `pid_file`, once it is there."""
    assert eventually(lambda: pid_file.exists() and bool(pid_file.read_text()))
    return int(pid_file.read_text())


async def wait_for_pid(pid_file: Path) -> int:
    return await asyncio.to_thread(written_pid, pid_file)


def names(tools: tuple[Tool, ...]) -> set[str]:
    return {tool.name for tool in tools}


async def test_servers_that_do_not_answer_in_time_are_reported_and_the_silent_process_ended(
    tmp_path: Path,
) -> None:
    pid_file = tmp_path / "silent.pid"
    # Started, but says nothing: a stdio server stuck before it serves.
    speechless = f"import os, sys; open({str(pid_file)!r}, 'w').write(str(os.getpid())); sys.stdin.read()"
    stdio = {"command": sys.executable, "args": ["-c", speechless]}
    async with silent_url() as url:
        entries = json.dumps({"http": {"url": url}, "stdio": stdio})
        mcp = McpServers(parse_servers(entries), connect_timeout=0.3, retry_first=60.0)
        mcp.start()
        try:
            await asyncio.wait_for(mcp.settled(), 5)
            assert mcp.tools() == ()
            report = mcp.report()
            for name in ("http", "stdio"):
                assert report[name]["ok"] is False
                assert report[name]["detail"].startswith(
                    "not connected: no answer within 0.3 s; next try within"
                )
            assert await gone(await wait_for_pid(pid_file))  # the attempt that gave up ended its process
        finally:
            await mcp.close()


async def test_a_server_down_at_start_up_is_used_once_it_is_up() -> None:
    sock = free_socket()  # refused until the server listens on it
    mcp = servers(weather={"url": f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"})
    mcp.start()
    try:
        await asyncio.wait_for(mcp.settled(), 5)
        assert mcp.tools() == () and mcp.report()["weather"]["ok"] is False
        [connection] = mcp.connections
        async with served_over_http(weather_server(), sock):
            await asyncio.wait_for(connection.connected.wait(), 5)
            assert names(mcp.tools()) == {"weather__forecast", "weather__warnings"}
            assert mcp.report()["weather"] == {"ok": True, "detail": "connected", "tools": 2}
            [forecast] = [tool for tool in mcp.tools() if tool.name == "weather__forecast"]
            assert (await forecast.run({"city": "Oslo"})).text == "Sunny in Oslo tomorrow, 24 °C."
    finally:
        await mcp.close()


async def test_a_stdio_server_that_dies_is_started_again(tmp_path: Path) -> None:
    pid_file = tmp_path / "inventory.pid"
    mcp = servers(inventory=stdio_server(pid_file))
    mcp.start()
    try:
        [connection] = mcp.connections
        await asyncio.wait_for(connection.connected.wait(), 10)
        [count_stock] = [tool for tool in mcp.tools() if tool.name == "inventory__count_stock"]
        first_pid = await wait_for_pid(pid_file)
        pid_file.unlink()
        os.kill(first_pid, signal.SIGKILL)

        # The call that finds it gone tells the model, and the connection starts a new server.
        result = await count_stock.run({"item": "hats"})
        assert result.text == "Error: inventory__count_stock cannot be reached now; answer without it."
        second_pid = await wait_for_pid(pid_file)
        assert second_pid != first_pid
        await asyncio.wait_for(connection.connected.wait(), 10)
        [count_stock] = [tool for tool in mcp.tools() if tool.name == "inventory__count_stock"]
        assert (await count_stock.run({"item": "hats"})).text == "12 hats in stock"
    finally:
        await mcp.close()
    assert await gone(second_pid)


async def test_closing_ends_the_stdio_server(tmp_path: Path) -> None:
    pid_file = tmp_path / "inventory.pid"
    mcp = servers(inventory=stdio_server(pid_file))
    mcp.start()
    await asyncio.wait_for(mcp.settled(), 10)
    pid = await wait_for_pid(pid_file)
    assert alive(pid)
    await mcp.close()
    assert not alive(pid)  # ended and reaped before close() returned
    assert mcp.tools() == ()


async def test_a_stdio_server_does_not_outlive_a_bot_that_is_killed(
    model_server: ModelServer, tmp_path: Path
) -> None:
    pid_file = tmp_path / "inventory.pid"
    env = {
        "OPENAI_BASE_URL": f"{model_server.url}/v1",
        "MCP_SERVERS": json.dumps({"inventory": stdio_server(pid_file)}),
    }
    async with BotProcess(env) as bot:
        pid = await wait_for_pid(pid_file)
        assert alive(pid)
        proc = bot.process.proc
        assert proc is not None
        proc.send_signal(signal.SIGKILL)  # no shutdown at all: the server sees its stdin close
        await asyncio.to_thread(proc.wait, 10)
        assert await gone(pid)


def test_tools_are_named_for_their_server_in_characters_model_apis_take() -> None:
    assert tool_name("files", "read_file") == "files__read_file"
    assert tool_name("files", "read.file/v2") == "files__read_file_v2"
    assert len(tool_name("s" * 32, "t" * 100)) == 64
