"""Sources across an answer's tool results: numbered once, shown within the limit, cited by marker."""

from __future__ import annotations

from answers.sources import CITE_INSTRUCTION, EMPTY_RESULT, AnswerSources, cut
from answers.tools import SourcePassage, ToolResult

WEATHER = SourcePassage("Weather today", "Sunny in Paris, 24 °C.", "https://example.org/weather")
TRAINS = SourcePassage("Train times", "The 9:12 to Lyon runs late.")
MUSEUMS = SourcePassage("Museums", "The Louvre opens at nine.")


def test_passages_are_numbered_across_results_and_shown_with_the_instruction() -> None:
    sources = AnswerSources()
    first = sources.for_model(ToolResult("Two passages found.", (WEATHER, TRAINS)), 2_000)
    second = sources.for_model(ToolResult("", (MUSEUMS,)), 2_000)

    assert first == (
        f"Two passages found.\n\n{CITE_INSTRUCTION}\n\n"
        "[1] Weather today <https://example.org/weather>\nSunny in Paris, 24 °C.\n\n"
        "[2] Train times\nThe 9:12 to Lyon runs late."
    )
    assert second == f"{CITE_INSTRUCTION}\n\n[3] Museums\nThe Louvre opens at nine."


def test_only_passages_whose_markers_are_in_the_text_are_cited() -> None:
    sources = AnswerSources()
    sources.for_model(ToolResult("", (WEATHER, TRAINS, MUSEUMS)), 2_000)
    cited = sources.cited("Sunny [1], and the Louvre opens at nine [3][3]. See [7] and [x].")
    assert cited == [(1, WEATHER), (3, MUSEUMS)]


def test_a_result_over_the_limit_is_cut_and_its_unseen_passages_get_no_number() -> None:
    sources = AnswerSources()
    long_passage = SourcePassage("Long", "word " * 400)
    shown = sources.for_model(ToolResult("Found these.", (WEATHER, long_passage, TRAINS)), 600)

    assert len(shown) <= 600
    assert shown.endswith("…(cut: the result was longer than 600 characters)")
    assert "[2] Long" in shown and "[3]" not in shown
    # The next result goes on from the passages the model saw: [3] is the next one's.
    assert sources.for_model(ToolResult("", (MUSEUMS,)), 600).endswith(
        "[3] Museums\nThe Louvre opens at nine."
    )
    assert sources.cited("[1] [2] [3]") == [(1, WEATHER), (2, long_passage), (3, MUSEUMS)]


def test_plain_results_are_cut_too_and_an_empty_one_says_so() -> None:
    sources = AnswerSources()
    shown = sources.for_model(ToolResult("x" * 10_000), 300)
    assert len(shown) == 300 and shown.startswith("x" * 200)
    assert sources.for_model(ToolResult("  "), 300) == EMPTY_RESULT


def test_cut_keeps_short_text_whole_and_never_exceeds_the_limit() -> None:
    assert cut("short", 10) == ("short", 5)
    for limit in (0, 5, 60, 61, 200):
        shown, kept = cut("y" * 1_000, limit)
        assert len(shown) <= limit and kept <= limit
