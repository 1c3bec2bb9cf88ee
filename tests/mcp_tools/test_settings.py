"""MCP_SERVERS: the servers' JSON, inline or in a file, read at start-up; a bad one stops the bot with a
message that names the variable and the server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config import ConfigError, DefaultConfig
from mcp_tools import McpServerSettings, McpSettings

SERVERS = {
    "files": {"command": "python", "args": ["-m", "files_server"], "env": {"FILES_TOKEN": "files-secret-1"}},
    "tickets": {
        "type": "http",
        "url": "https://tickets.example.com/mcp",
        "headers": {"Authorization": "Bearer tickets-secret-2"},
        "tools": ["find_ticket"],
        "timeout": 5,
    },
}
EXPECTED = (
    McpServerSettings(
        name="files", command="python", args=("-m", "files_server"), env={"FILES_TOKEN": "files-secret-1"}
    ),
    McpServerSettings(
        name="tickets",
        url="https://tickets.example.com/mcp",
        headers={"Authorization": "Bearer tickets-secret-2"},
        tools=frozenset({"find_ticket"}),
        timeout=5.0,
    ),
)


def test_no_mcp_servers_by_default() -> None:
    assert DefaultConfig({}).mcp == McpSettings(servers=())


def test_servers_are_read_inline_or_from_a_file_or_a_copied_mcp_servers_file(tmp_path: Path) -> None:
    assert DefaultConfig({"MCP_SERVERS": json.dumps(SERVERS)}).mcp.servers == EXPECTED
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps({"mcpServers": SERVERS}))
    servers = DefaultConfig({"MCP_SERVERS": str(path)}).mcp.servers
    assert servers == EXPECTED
    assert [server.transport for server in servers] == ["stdio", "http"]


def test_header_and_env_values_are_never_logged() -> None:
    secrets = DefaultConfig({"MCP_SERVERS": json.dumps(SERVERS)}).logging.secrets
    assert {"files-secret-1", "Bearer tickets-secret-2"} <= set(secrets)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('["a list"]', "must be a JSON object of servers by name"),
        ("/no/such/mcp.json", "is neither a JSON object nor a readable file"),
        ('{"bad name": {"command": "x"}}', "server name 'bad name' must be 1 to 32 letters"),
        ('{"s": "python server.py"}', "server 's' must be an object with a command or a url"),
        ('{"s": {"command": "x", "url": "https://h/mcp"}}', "server 's' needs one of a command"),
        ('{"s": {"args": ["x"]}}', "server 's' needs one of a command"),
        ('{"s": {"command": " "}}', "command must be a non-empty string"),
        ('{"s": {"url": "ftp://h/mcp"}}', "url must be an http\\(s\\) URL"),
        ('{"s": {"url": "https://h/mcp", "type": "sse"}}', "type 'sse' does not fit its http settings"),
        ('{"s": {"command": "x", "arg": ["y"]}}', "server 's' has unknown keys: arg"),
        ('{"s": {"command": "x", "headers": {}}}', "server 's' has unknown keys: headers"),
        ('{"s": {"command": "x", "args": "y"}}', "args must be a list of strings"),
        ('{"s": {"command": "x", "env": {"N": 1}}}', "env must be an object of strings"),
        ('{"s": {"url": "https://h/mcp", "headers": ["x"]}}', "headers must be an object of strings"),
        ('{"s": {"command": "x", "tools": "all"}}', "tools must be a list of strings"),
        ('{"s": {"command": "x", "timeout": "5"}}', "timeout must be a number of seconds"),
        ('{"s": {"command": "x", "timeout": 0}}', "timeout must be between 0.1 and 300 seconds"),
    ],
)
def test_a_bad_setting_names_the_variable_and_says_what_is_wrong(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=f"^MCP_SERVERS.*{message}"):
        DefaultConfig({"MCP_SERVERS": value})
