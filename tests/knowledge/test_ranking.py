"""Ranking: the shipped documentation answers typical questions first; BM25 and the title boost."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from knowledge import Fts5Retriever, KnowledgeSettings
from knowledge.fts5_index import Fts5Index
from knowledge.passages import Passage
from knowledge.query import match_expression

ROOT = Path(__file__).resolve().parents[2]
TITLES = {
    "deploying-to-azure.md": "Deploying to Azure",
    "configuring-a-model.md": "Configuring a model",
    "running-several-instances.md": "Running several instances",
    "teams-and-web-chat.md": "What users see in Teams and Web Chat",
    "commands.md": "Commands",
    "knowledge-search.md": "Knowledge search",
}
FILLER = "This paragraph is about something else entirely, with ordinary words in it."


@pytest.fixture
async def shipped() -> AsyncIterator[Fts5Retriever]:
    retriever = Fts5Retriever(ROOT / KnowledgeSettings().directory)
    await retriever.wait_ready()
    yield retriever
    retriever.close()


@pytest.mark.parametrize(
    ("question", "document", "heading"),
    [
        ("How do I deploy it?", "deploying-to-azure.md", None),
        ("How do I deploy the bot to Azure App Service?", "deploying-to-azure.md", None),
        (
            "The bot gets messages but never replies",
            "deploying-to-azure.md",
            "The bot receives messages but never answers",
        ),
        ("How do I use Ollama?", "configuring-a-model.md", None),
        ("Which settings select Azure OpenAI?", "configuring-a-model.md", "Azure OpenAI"),
        ("Can I run several instances behind a load balancer?", "running-several-instances.md", None),
        ("Do I need sticky sessions?", "running-several-instances.md", "No sticky sessions"),
        ("How do I stop an answer in Web Chat?", "teams-and-web-chat.md", "Stopping an answer"),
        ("Why is there no streaming in a Teams group chat?", "teams-and-web-chat.md", None),
        ("How do I clear the history?", "commands.md", "reset"),
        ("How do I search my own documents?", "knowledge-search.md", None),
    ],
)
async def test_typical_questions_find_the_right_document_first(
    shipped: Fts5Retriever, question: str, document: str, heading: str | None
) -> None:
    [best, *_] = await shipped.search(question, 3)
    title = TITLES[document]
    assert best.name == f"{title}: {heading}" if heading else best.name.split(": ")[0] == title


def ranked(passages: list[Passage], query: str) -> list[str]:
    """The titles of the passages found for `query` in an index of `passages`, best first."""
    index = Fts5Index(passages)
    try:
        expression = match_expression(query)
        assert expression is not None
        return [passage.title for passage in index.search(expression, 10) or []]
    finally:
        index.close()


def passage(title: str, text: str, headings: tuple[str, ...] = ()) -> Passage:
    return Passage(f"{title}.md", title, headings, "", text)


def test_a_rare_word_counts_for_more_than_a_common_one() -> None:
    common = [passage(f"common {n}", f"The bot saves its state. {FILLER}") for n in range(8)]
    rare = passage("rare", f"The eTag guards the bot's saves. {FILLER}")
    # "state" is in eight passages, "etag" in one: the one with the rare word comes first.
    assert ranked([*common, rare], "state etag")[0] == "rare"


def test_more_matching_words_rank_higher() -> None:
    one = passage("one", f"Redis holds the state. {FILLER}")
    both = passage("both", f"Redis holds the state of several instances. {FILLER}")
    assert ranked([one, both], "redis instances") == ["both", "one"]


def test_a_word_in_the_title_or_headings_counts_for_more_than_in_the_text() -> None:
    in_text = passage("Operations", f"Scaling: add instances. Scaling needs shared storage. {FILLER}")
    in_title = passage("Scaling", f"Add instances behind a load balancer. {FILLER}")
    in_heading = passage("Operations guide", f"Add instances behind a load balancer. {FILLER}", ("Scaling",))
    assert ranked([in_text, in_title, in_heading], "scaling") == ["Scaling", "Operations guide", "Operations"]
