"""The `search_knowledge` tool: the model asks, the retriever's best passages come back as citations.

The tool runner (answers/sources.py) shows the model each citation's passage under a number that is
unique across the answer's tool calls, [1], [2]…, and the model cites them by those numbers; so the
passages go back as citations, best first, and the text only says what they are. Their total length is
bounded here, below the runner's limit of a result, so that the runner keeps them whole: whole passages
while they fit, the next one cut, no more after it.
"""

from __future__ import annotations

from answers.tools import SourcePassage, ToolResult

from .plain_text import shorten
from .retriever import Retriever, RetrieverUnavailable

RESULTS = 5
"""Passages per search: enough to answer from, few enough to read."""
MAX_PASSAGES_CHARS = 5000
"""The most passage text (with names and links) one search returns, about 1250 tokens."""
MIN_CUT_PASSAGE_CHARS = 300
"""A passage that does not fit is cut to the room left, if at least this much is left."""
MAX_QUERY_CHARS = 1000
TIMEOUT_SECONDS = 10.0

DESCRIPTION = (
    "Search the knowledge base, a set of documents, for passages that answer the user's question. "
    "Use it for questions the documents may cover, before answering from memory; then answer from "
    "the passages, citing each one you use by its number."
)
FOUND = "Passages from the knowledge base that match the search, best first."
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
    """Searches a `Retriever` for the model, and hands back the passages it may cite."""

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
        """The passages for `arguments["query"]`, or a line saying why there are none."""
        query = arguments.get("query")
        if not isinstance(query, str) or not query.strip():
            return ToolResult(NO_QUERY)
        try:
            found = await self.retriever.search(query[:MAX_QUERY_CHARS], self.results)
        except RetrieverUnavailable as unavailable:
            return ToolResult(f"The knowledge base cannot be searched now: {unavailable}. Answer without it.")
        passages = bounded(found[: self.results])
        return ToolResult(FOUND, passages) if passages else ToolResult(NO_MATCH)


def bounded(sources: list[SourcePassage]) -> tuple[SourcePassage, ...]:
    """The first sources whose names, links and passages fit in `MAX_PASSAGES_CHARS`, the last one cut."""
    kept: list[SourcePassage] = []
    room = MAX_PASSAGES_CHARS
    for source in sources:
        passage = source.passage.strip()
        size = len(source.name) + len(source.url or "") + len(passage)
        if size > room:
            cut_room = room - (size - len(passage))
            if cut_room >= MIN_CUT_PASSAGE_CHARS:
                kept.append(SourcePassage(source.name, shorten(passage, cut_room), source.url))
            break
        if passage:
            kept.append(SourcePassage(source.name, passage, source.url))
            room -= size
    return tuple(kept)
