"""Tools from Model Context Protocol servers (`MCP_SERVERS`), offered to the model like the bot's own.

`McpServers` connects to each configured server in the background from start-up, through the
official `mcp` SDK (stdio or Streamable HTTP), and offers each connected server's tools as
`answers.tools.Tool`s named `<server>__<tool>`; /readyz reports each server. No botbuilder here.
"""

from .servers import McpServers
from .settings import McpServerSettings, McpSettings, parse_servers

__all__ = ["McpServerSettings", "McpServers", "McpSettings", "parse_servers"]
