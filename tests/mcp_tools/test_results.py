"""What the model reads of an MCP tool's result: text in order, other content named, errors marked."""

from __future__ import annotations

from mcp_types import (
    BlobResourceContents,
    CallToolResult,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
)

from mcp_tools.results import MAX_RESULT_CHARS, NO_OUTPUT, result_text


def test_text_blocks_and_text_resources_are_joined_and_the_rest_named() -> None:
    result = CallToolResult(
        content=[
            TextContent(text="Two files match."),
            EmbeddedResource(resource=TextResourceContents(uri="file:///a.md", text="# A\nAlpha.")),
            EmbeddedResource(resource=BlobResourceContents(uri="file:///b.pdf", blob="JVBERi0=")),
            ImageContent(data="iVBORw0=", mime_type="image/png"),
            ResourceLink(name="c.md", uri="file:///c.md"),
        ]
    )
    assert result_text(result, "files__search") == (
        "Two files match.\n\n# A\nAlpha.\n\n[binary resource file:///b.pdf not shown]\n\n"
        "[image (image/png) not shown]\n\n[resource: c.md <file:///c.md>]"
    )


def test_structured_content_is_sent_when_there_is_no_text() -> None:
    result = CallToolResult(content=[], structured_content={"temperature": 24, "unit": "C"})
    assert result_text(result, "weather__now") == '{"temperature":24,"unit":"C"}'
    assert result_text(CallToolResult(content=[]), "weather__now") == NO_OUTPUT


def test_an_error_result_says_so_and_a_huge_one_is_bounded() -> None:
    failed = CallToolResult(content=[TextContent(text="no such city")], is_error=True)
    assert result_text(failed, "weather__now") == "Error: weather__now failed: no such city"
    huge = CallToolResult(content=[TextContent(text="x" * (MAX_RESULT_CHARS + 10))])
    assert len(result_text(huge, "dump")) == MAX_RESULT_CHARS
