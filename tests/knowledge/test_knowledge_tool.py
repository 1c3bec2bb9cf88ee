"""The search_knowledge tool: numbered passages within a bound, the same passages as citations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from answers.tools import SourcePassage, Tool
from knowledge import Fts5Retriever, KnowledgeSettings, KnowledgeTool, RetrieverUnavailable
from knowledge.knowledge_tool import (
    ABSTRACT_CHARS,
    MAX_QUERY_CHARS,
    MAX_TEXT_CHARS,
    NO_MATCH,
    NO_QUERY,
)

ROOT = Path(__file__).resolve().parents[2]


class Listed:
    """A retriever that answers every search with the passages it was given, and records the queries."""

    def __init__(self, passages: list[SourcePassage]) -> None:
        self.passages = passages
        self.queries: list[str] = []

    async def search(self, query: str, limit: int) -> list[SourcePassage]:
        self.queries.append(query)
        return self.passages[:limit]


class Indexing:
    """A retriever that cannot answer yet."""

    async def search(self, query: str, limit: int) -> list[SourcePassage]:
        raise RetrieverUnavailable("the knowledge base is still being indexed")


def entries(text: str) -> list[str]:
    """The "[n] name" lines of a tool's text."""
    return re.findall(r"^\[\d+\] .*$", text, re.MULTILINE)


def test_it_is_a_tool_with_a_query_schema() -> None:
    tool: Tool = KnowledgeTool(Listed([]))
    assert (tool.name, tool.status) == ("search_knowledge", "Searching the knowledge base…")
    assert tool.timeout > 0 and "cite" in tool.description
    schema = tool.parameters
    assert (schema["type"], schema["required"], schema["additionalProperties"]) == (
        "object",
        ["query"],
        False,
    )
    [(name, query)] = schema["properties"].items()
    assert name == "query" and query["type"] == "string" and query["description"]


async def test_the_shipped_documentation_answers_with_numbered_passages_and_citations() -> None:
    retriever = Fts5Retriever(ROOT / KnowledgeSettings().directory)
    try:
        await retriever.wait_ready()
        result = await KnowledgeTool(retriever).run({"query": "how do I deploy it to Azure?"})
    finally:
        retriever.close()
    numbered = entries(result.text)
    assert numbered[0].startswith("[1] Deploying to Azure")
    assert [line.split("] ", 1)[1] for line in numbered] == [source.name for source in result.citations]
    assert "az webapp deploy" in result.text
    for citation in result.citations:
        assert 0 < len(citation.passage) <= ABSTRACT_CHARS
        assert not any(mark in citation.passage for mark in ("`", "**", "\n", "|"))


async def test_abstracts_are_plain_text_from_the_passage_start() -> None:
    source = SourcePassage(
        "Guide: Setup",
        "Set **`KNOWLEDGE_DIR`** to [your folder](https://example.com).\n\n- then restart\n\n"
        + "More. " * 60,
        "https://example.com/guide.md#setup",
    )
    [citation] = (await KnowledgeTool(Listed([source])).run({"query": "setup"})).citations
    assert citation.passage.startswith("Set KNOWLEDGE_DIR to your folder. then restart More.")
    assert len(citation.passage) <= ABSTRACT_CHARS and citation.passage.endswith("…")
    assert (citation.name, citation.url) == (source.name, source.url)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.builds(SourcePassage, name=st.text(min_size=1, max_size=100), passage=st.text(max_size=3000)),
        max_size=8,
    ),
    st.integers(min_value=1, max_value=8),
)
async def test_the_text_stays_within_its_bound_and_cites_exactly_what_it_shows(
    sources: list[SourcePassage], results: int
) -> None:
    result = await KnowledgeTool(Listed(sources), results=results).run({"query": "anything"})
    assert len(result.text) <= MAX_TEXT_CHARS
    if not sources:
        assert (result.text, result.citations) == (NO_MATCH, ())
        return
    shown = len(result.citations)
    assert 1 <= shown <= min(results, len(sources))
    assert [citation.name for citation in result.citations] == [source.name for source in sources[:shown]]
    for number in range(1, shown + 1):
        assert f"[{number}] " in result.text


async def test_long_passages_fill_the_text_then_one_is_cut_and_the_rest_left_out() -> None:
    sources = [SourcePassage(f"Doc {n}", f"passage {n} " + "word " * 300) for n in range(1, 8)]
    result = await KnowledgeTool(Listed(sources), results=7).run({"query": "word"})
    assert len(result.text) <= MAX_TEXT_CHARS
    assert entries(result.text) == [f"[{n}] Doc {n}" for n in range(1, 5)]
    assert result.text.endswith("…")  # the fourth, cut
    assert [citation.name for citation in result.citations] == ["Doc 1", "Doc 2", "Doc 3", "Doc 4"]


@pytest.mark.parametrize("arguments", [{}, {"query": 5}, {"query": "   "}, {"q": "deploy"}])
async def test_a_call_without_a_query_says_what_is_missing(arguments: dict[str, object]) -> None:
    retriever = Listed([SourcePassage("A", "a")])
    result = await KnowledgeTool(retriever).run(arguments)
    assert (result.text, result.citations, retriever.queries) == (NO_QUERY, (), [])


async def test_no_match_and_not_ready_are_told_to_the_model() -> None:
    assert (await KnowledgeTool(Listed([])).run({"query": "x"})).text == NO_MATCH
    result = await KnowledgeTool(Indexing()).run({"query": "x"})
    assert result.text == (
        "The knowledge base cannot be searched now: the knowledge base is still being indexed. "
        "Answer without it."
    )
    assert result.citations == ()


async def test_a_long_query_is_cut_before_the_search() -> None:
    retriever = Listed([])
    await KnowledgeTool(retriever).run({"query": "deploy " * 1000})
    assert [len(query) for query in retriever.queries] == [MAX_QUERY_CHARS]
