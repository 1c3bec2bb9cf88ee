"""The search_knowledge tool: the retriever's passages as citations, best first, within a bound."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from answers.tools import SourcePassage, Tool
from knowledge import Fts5Retriever, KnowledgeSettings, KnowledgeTool, RetrieverUnavailable
from knowledge.knowledge_tool import FOUND, MAX_PASSAGES_CHARS, MAX_QUERY_CHARS, NO_MATCH, NO_QUERY

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


def size(source: SourcePassage) -> int:
    return len(source.name) + len(source.url or "") + len(source.passage)


def test_it_is_a_tool_with_a_query_schema() -> None:
    tool: Tool = KnowledgeTool(Listed([]))
    assert (tool.name, tool.status) == ("search_knowledge", "Searching the knowledge base…")
    assert tool.timeout > 0 and "citing" in tool.description
    schema = tool.parameters
    assert (schema["type"], schema["required"], schema["additionalProperties"]) == (
        "object",
        ["query"],
        False,
    )
    [(name, query)] = schema["properties"].items()
    assert name == "query" and query["type"] == "string" and query["description"]


async def test_the_shipped_documentation_answers_with_its_passages_best_first() -> None:
    retriever = Fts5Retriever(ROOT / KnowledgeSettings().directory)
    try:
        await retriever.wait_ready()
        result = await KnowledgeTool(retriever).run({"query": "how do I deploy it to Azure?"})
    finally:
        retriever.close()
    assert result.text == FOUND
    assert 1 < len(result.citations) <= 5
    assert result.citations[0].name.startswith("Deploying to Azure")
    assert any("az webapp deploy" in citation.passage for citation in result.citations)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.builds(
            SourcePassage,
            name=st.text(min_size=1, max_size=100),
            passage=st.text(max_size=3000),
            url=st.none() | st.text(max_size=200),
        ),
        max_size=8,
    ),
    st.integers(min_value=1, max_value=8),
)
async def test_the_passages_stay_within_their_bound_in_the_retrievers_order(
    sources: list[SourcePassage], results: int
) -> None:
    result = await KnowledgeTool(Listed(sources), results=results).run({"query": "anything"})
    cited = result.citations
    assert sum(size(citation) for citation in cited) <= MAX_PASSAGES_CHARS
    assert len(cited) <= results and all(citation.passage.strip() for citation in cited)
    # The retriever's order, none skipped but the empty ones; each whole but perhaps the last.
    given_order = [source for source in sources[:results] if source.passage.strip()]
    assert [(c.name, c.url) for c in cited] == [(s.name, s.url) for s in given_order[: len(cited)]]
    assert [c.passage for c in cited[:-1]] == [s.passage.strip() for s in given_order[: len(cited) - 1]]
    assert result.text == (FOUND if cited else NO_MATCH)


async def test_long_passages_fill_the_bound_then_one_is_cut_and_the_rest_left_out() -> None:
    sources = [SourcePassage(f"Doc {n}", f"passage {n} " + "word " * 300) for n in range(1, 8)]
    cited = (await KnowledgeTool(Listed(sources), results=7).run({"query": "word"})).citations
    assert [citation.name for citation in cited] == ["Doc 1", "Doc 2", "Doc 3", "Doc 4"]
    assert [citation.passage for citation in cited[:3]] == [source.passage.strip() for source in sources[:3]]
    assert cited[3].passage.endswith("…") and sources[3].passage.startswith(cited[3].passage[:-1])
    assert sum(size(citation) for citation in cited) <= MAX_PASSAGES_CHARS


@pytest.mark.parametrize("arguments", [{}, {"query": 5}, {"query": "   "}, {"q": "deploy"}])
async def test_a_call_without_a_query_says_what_is_missing(arguments: dict[str, object]) -> None:
    retriever = Listed([SourcePassage("A", "a")])
    result = await KnowledgeTool(retriever).run(arguments)
    assert (result.text, result.citations, retriever.queries) == (NO_QUERY, (), [])


async def test_no_match_and_not_ready_are_told_to_the_model() -> None:
    nothing = await KnowledgeTool(Listed([SourcePassage("Blank", "  \n ")])).run({"query": "x"})
    assert (nothing.text, nothing.citations) == (NO_MATCH, ())
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
