"""The `search_knowledge` tool: the model asks, the retriever's best passages come back numbered.

The model reads the passages with their numbers and cites them as [1], [2]…; the same passages come
back as citations, in the same order, each with a short plain-text abstract, as Teams shows them. The
text is bounded: whole passages while they fit, the next one cut, no more after it.
"""

from __future__ import annotations

from answers.tools import SourcePassage, ToolResult

from .plain_text import plain_text, shorten
from .retriever import Retriever, RetrieverUnavailable

RESULTS = 5
"""Passages per search: enough to answer from, few enough to read."""
MAX_TEXT_CHARS = 6000
"""The longest text the model gets from one search, about 1500 tokens."""
MIN_CUT_PASSAGE_CHARS = 300
"""A passage that does not fit is cut to the room left, if at least this much is left."""
ABSTRACT_CHARS = 160
"""A citation's abstract: Teams shows at most 160 characters."""
MAX_QUERY_CHARS = 1000
TIMEOUT_SECONDS = 10.0

DESCRIPTION = (
    "Search the knowledge base, a set of documents, for passages that answer the user's question. "
    "Use it for questions the documents may cover, before answering from memory. Answer from the "
    "passages it returns and cite each one you use as [n], its number, right after what it supports."
)
HEADER = "Passages from the knowledge base, best first. Cite the ones you use as [n].\n\n"
NO_MATCH = "No passage in the knowledge base matches that search. Say so if it matters to the answer."
NO_QUERY = "search_knowledge needs a `query`: the words or question to search the knowledge base for."


def parameters() -> dict[str, object]:
    """The tool's JSON schema: one search query."""
    return {
        "type": "object",
        "properties": {
            "query": {
                "type": "string",
                "description": "What to look for: the question or its key words, e.g. 'deploy to Azure'.",
            }
        },
        "required": ["query"],
        "additionalProperties": False,
    }


class KnowledgeTool:
    """Searches a `Retriever` for the model, and hands back what it may cite."""

    name = "search_knowledge"
    status = "Searching the knowledge base…"

    def __init__(
        self,
        retriever: Retriever,
        *,
        description: str = DESCRIPTION,
        results: int = RESULTS,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.retriever = retriever
        self.description = description
        self.parameters = parameters()
        self.results = results
        self.timeout = timeout

    async def run(self, arguments: dict[str, object]) -> ToolResult:
        """The passages for `arguments["query"]`, numbered, or a line saying why there are none."""
        query = arguments.get("query")
        if not isinstance(query, str) or not query.strip():
            return ToolResult(NO_QUERY)
        try:
            found = await self.retriever.search(query[:MAX_QUERY_CHARS], self.results)
        except RetrieverUnavailable as unavailable:
            return ToolResult(f"The knowledge base cannot be searched now: {unavailable}. Answer without it.")
        if not found:
            return ToolResult(NO_MATCH)
        return numbered(found[: self.results])


def numbered(sources: list[SourcePassage]) -> ToolResult:
    """The passages as numbered text within `MAX_TEXT_CHARS`, and those that made it in as citations."""
    text = HEADER
    cited: list[SourcePassage] = []
    for number, source in enumerate(sources, start=1):
        entry = f"[{number}] {source.name}\n{source.passage.strip()}\n\n"
        room = MAX_TEXT_CHARS - len(text)
        if len(entry) > room:
            if room >= MIN_CUT_PASSAGE_CHARS:
                text += shorten(entry.rstrip(), room)
                cited.append(_citation(source))
            break
        text += entry
        cited.append(_citation(source))
    return ToolResult(text.rstrip(), tuple(cited))


def _citation(source: SourcePassage) -> SourcePassage:
    """The source with its passage as a short plain-text abstract; the passage's name if it has no words."""
    abstract = plain_text(source.passage) or source.name
    return SourcePassage(name=source.name, passage=shorten(abstract, ABSTRACT_CHARS), url=source.url)
