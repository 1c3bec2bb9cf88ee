"""User text as an FTS5 query: quoted terms, no syntax from the input, never an error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.fts5_index import Fts5Index
from knowledge.passages import Passage
from knowledge.query import MAX_TERMS, match_expression

PASSAGES = [
    Passage("a.md", "Deploying to Azure", ("Deploy the code",), "deploy-the-code", "Run az webapp deploy."),
    Passage("b.md", "Configuring a model", ("Ollama",), "ollama", "Set OPENAI_BASE_URL and the config."),
    Passage("c.md", "Near and far", (), "", 'Quotes " and stars * and NEAR(a b) and title:x.'),
]


@pytest.fixture(scope="module")
def index() -> Iterator[Fts5Index]:
    index = Fts5Index(PASSAGES)
    yield index
    index.close()


def search(index: Fts5Index, text: str) -> list[str]:
    expression = match_expression(text)
    return [] if expression is None else [p.title for p in index.search(expression, 10) or []]


def test_terms_are_quoted_and_stop_words_left_out() -> None:
    assert match_expression("How do I deploy it to Azure?") == '"deploy"* OR "azure"*'


def test_short_terms_match_whole_and_longer_ones_as_prefixes(index: Fts5Index) -> None:
    assert match_expression("an ai model") == '"ai" OR "model"*'
    assert search(index, "config") == ["Configuring a model"]  # a prefix of "configuring"
    assert search(index, "deploying") == ["Deploying to Azure"]  # stemmed: "deploy"


def test_only_stop_words_are_searched_as_they_are() -> None:
    assert match_expression("what is it?") == '"what"* OR "is" OR "it"'


def test_text_without_words_gives_no_query() -> None:
    for text in ["", "   ", "?!", '"""', "***", "___", "-- :: ()"]:
        assert match_expression(text) is None


def test_fts5_syntax_in_the_input_is_searched_as_words(index: Fts5Index) -> None:
    assert search(index, 'NEAR(a b) title:x "unbalanced') == ["Near and far"]
    assert search(index, "deploy AND NOT azure") == ["Deploying to Azure"]  # AND and NOT are words, ORed in
    assert search(index, "OPENAI_BASE_URL") == ["Configuring a model"]  # the phrase "openai base url"


def test_repeated_terms_count_once_and_the_number_of_terms_is_bounded() -> None:
    assert match_expression("Azure azure AZURE") == '"azure"*'
    expression = match_expression(" ".join(f"term{n}" for n in range(100)))
    assert expression is not None and expression.count(" OR ") == MAX_TERMS - 1


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_makes_a_query_that_runs(index: Fts5Index, text: str) -> None:
    expression = match_expression(text)
    if expression is not None:
        assert index.search(expression, 5) is not None  # ran without an sqlite3 error
