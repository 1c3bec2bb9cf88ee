"""What the model reads of an MCP tool's result: its text, joined and bounded; the rest named, not sent."""

from __future__ import annotations

import orjson
from mcp_types import (
    AudioContent,
    CallToolResult,
    ContentBlock,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
)

MAX_RESULT_CHARS = 200_000
"""The most TOOL_RESULT_MAX_CHARS allows: the tool runner cuts a result to its setting, this only keeps
a runaway server from handing it megabytes."""
NO_OUTPUT = "(the tool returned no output)"


def result_text(result: CallToolResult, tool: str) -> str:
    """The result's text blocks (and embedded text resources) in order, or its structured content when
    it has no text; an error result says so, so the model can answer without it or try again."""
    parts = [_block_text(block) for block in result.content]
    text = "\n\n".join(part for part in parts if part)
    if not text and result.structured_content is not None:
        text = orjson.dumps(result.structured_content).decode()
    text = text[:MAX_RESULT_CHARS] or NO_OUTPUT
    return f"Error: {tool} failed: {text}" if result.is_error else text


def _block_text(block: ContentBlock) -> str:
    """A block as text: images, audio and binary resources are named, since the model is sent text only."""
    match block:
        case TextContent():
            return block.text
        case EmbeddedResource(resource=TextResourceContents()):
            return block.resource.text
        case EmbeddedResource():
            return f"[binary resource {block.resource.uri} not shown]"
        case ResourceLink():
            return f"[resource: {block.name} <{block.uri}>]"
        case ImageContent() | AudioContent():
            return f"[{block.type} ({block.mime_type}) not shown]"
    return ""
