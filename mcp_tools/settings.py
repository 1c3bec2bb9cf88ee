"""MCP server settings: the servers whose tools the model may call, read from `MCP_SERVERS`'s JSON.

The JSON is an object of servers by name, in the shape of the `mcpServers` object that Claude Desktop
and VS Code read, so an entry can be copied from there (a whole `{"mcpServers": {...}}` file is taken
too). A server is started as a command and spoken to over its stdin and stdout, or reached at a
Streamable HTTP URL:

    {"files": {"command": "python", "args": ["-m", "files_server"], "env": {"ROOT": "/data"}},
     "tickets": {"url": "https://tickets.example.com/mcp", "headers": {"Authorization": "Bearer …"}}}

Optional on either: `tools`, the only tool names offered to the model (by default all the server
lists), and `timeout`, the seconds one call may take. Anything else is refused, so that a misspelt
key stops the bot rather than being ignored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import orjson

DEFAULT_TIMEOUT = 30.0
"""Seconds one tool call may take unless the server's `timeout` says otherwise."""
MAX_TIMEOUT = 300.0
SERVER_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")
"""A server's name prefixes its tools' names, which the model APIs restrict to these characters."""

_KEYS = {
    "stdio": {"type", "command", "args", "env", "tools", "timeout"},
    "http": {"type", "url", "headers", "tools", "timeout"},
}
_TYPES = {"stdio": ("stdio",), "http": ("http", "streamable-http")}
"""The `type` each transport's entry may name (the copied configurations name one)."""


@dataclass(frozen=True)
class McpServerSettings:
    """One MCP server: a command to start (stdio), or a Streamable HTTP `url`."""

    name: str
    command: str = ""
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)  # over a minimal environment, not the bot's
    url: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    tools: frozenset[str] | None = None  # the tools offered to the model; None: all of them
    timeout: float = DEFAULT_TIMEOUT

    @property
    def transport(self) -> Literal["stdio", "http"]:
        return "stdio" if self.command else "http"


@dataclass(frozen=True)
class McpSettings:
    """The MCP servers the bot connects to at start-up (none by default)."""

    servers: tuple[McpServerSettings, ...] = ()

    @property
    def secrets(self) -> tuple[str, ...]:
        """Header and environment values: tokens and keys, as a rule, never to be logged."""
        return tuple(
            value for server in self.servers for value in (*server.headers.values(), *server.env.values())
        )


def parse_servers(text: str) -> tuple[McpServerSettings, ...]:
    """The servers `text` (JSON, as the module describes) lists; ValueError says what is wrong."""
    try:
        servers = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise ValueError(f"is not valid JSON ({error})") from None
    if isinstance(servers, dict) and set(servers) == {"mcpServers"}:
        servers = servers["mcpServers"]
    if not isinstance(servers, dict):
        raise ValueError('must be a JSON object of servers by name: {"<name>": {"command": …} or {"url": …}}')
    return tuple(_server(name, entry) for name, entry in servers.items())


def _server(name: str, entry: object) -> McpServerSettings:
    if not SERVER_NAME.fullmatch(name):
        raise ValueError(f"server name {name!r} must be 1 to 32 letters, digits, '_' or '-'")
    where = f"server {name!r}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where} must be an object with a command or a url")
    if ("command" in entry) == ("url" in entry):
        raise ValueError(f"{where} needs one of a command (stdio) and a url (Streamable HTTP)")
    transport = "stdio" if "command" in entry else "http"
    if entry.get("type", transport) not in _TYPES[transport]:
        raise ValueError(f"{where}: type {entry['type']!r} does not fit its {transport} settings")
    unknown = set(entry) - _KEYS[transport]
    if unknown:
        raise ValueError(f"{where} has unknown keys: {', '.join(sorted(unknown))}")
    command, url = entry.get("command", ""), entry.get("url", "")
    if transport == "stdio" and not (isinstance(command, str) and command.strip()):
        raise ValueError(f"{where}: command must be a non-empty string")
    if transport == "http" and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        raise ValueError(f"{where}: url must be an http(s) URL")
    tools = entry.get("tools")
    return McpServerSettings(
        name=name,
        command=command.strip(),
        args=tuple(_strings(entry.get("args", []), f"{where}: args")),
        env=_string_map(entry.get("env", {}), f"{where}: env"),
        url=url,
        headers=_string_map(entry.get("headers", {}), f"{where}: headers"),
        tools=None if tools is None else frozenset(_strings(tools, f"{where}: tools")),
        timeout=_timeout(entry.get("timeout", DEFAULT_TIMEOUT), where),
    )


def _strings(value: object, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{what} must be a list of strings")
    return value


def _string_map(value: object, what: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(item, str) for item in value.values()):
        raise ValueError(f"{what} must be an object of strings")
    return value


def _timeout(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where}: timeout must be a number of seconds")
    if not 0.1 <= value <= MAX_TIMEOUT:
        raise ValueError(f"{where}: timeout must be between 0.1 and {MAX_TIMEOUT:g} seconds")
    return float(value)
