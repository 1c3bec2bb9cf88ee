"""The wire form of an answer's marks: one Message entity within every limit, feedback, sources."""

from __future__ import annotations

import pytest

from streaming.answer_marks import (
    ABSTRACT_LIMIT,
    KEYWORD_LIMIT,
    MAX_CITATIONS,
    NAME_LIMIT,
    POPUP_LIMIT,
    AnswerMarks,
    Citation,
    SensitivityLabel,
    citation_style,
    cited,
    feedback_channel_data,
    message_entity,
    sources_text,
)
from streaming.markdown import utf16_length
from tests.support.connector import ai_field_problems

RAINBOW = Citation(1, "Rainbows", "Light refracts in raindrops.", url="https://example.com/rainbow")
NO_URL = Citation(2, "Internal notes", "Drops act as prisms.")


def claims(entity: dict[str, object] | None) -> list[dict[str, object]]:
    assert entity is not None
    return entity.get("citation", [])  # type: ignore[return-value]


def test_the_ai_label_alone_is_one_schema_org_message_entity() -> None:
    assert message_entity(AnswerMarks(), "Hello", "entity") == {
        "type": "https://schema.org/Message",
        "@type": "Message",
        "@context": "https://schema.org",
        "@id": "",
        "additionalType": ["AIGeneratedContent"],
    }


def test_nothing_to_carry_is_no_entity() -> None:
    assert message_entity(AnswerMarks(ai_generated=False), "Hello", "entity") is None
    assert (
        message_entity(AnswerMarks(ai_generated=False, citations=(RAINBOW,)), "No marker", "entity") is None
    )


def test_citations_become_claims_of_the_markers_in_the_text_in_position_order() -> None:
    marks = AnswerMarks(citations=(NO_URL, Citation(3, "Uncited", "Not in the text."), RAINBOW))
    entity = message_entity(marks, "Rain [1] and prisms [2].", "entity")
    assert claims(entity) == [
        {
            "@type": "Claim",
            "position": 1,
            "appearance": {
                "@type": "DigitalDocument",
                "name": "Rainbows",
                "abstract": "Light refracts in raindrops.",
                "url": "https://example.com/rainbow",
            },
        },
        {
            "@type": "Claim",
            "position": 2,
            "appearance": {
                "@type": "DigitalDocument",
                "name": "Internal notes",
                "abstract": "Drops act as prisms.",
            },
        },
    ]


def test_blank_names_or_abstracts_repeated_positions_and_non_positive_positions_are_dropped() -> None:
    citations = (
        Citation(1, "  ", "An abstract."),
        Citation(2, "A name", "\n"),
        Citation(3, "First", "Kept."),
        Citation(3, "Second", "Dropped: its position is taken."),
        Citation(0, "Zero", "Not a position."),
    )
    assert [c.name for c in cited(citations, "[0] [1] [2] [3]")] == ["First"]


def test_at_most_ten_citations_go_out() -> None:
    citations = tuple(Citation(n, f"Source {n}", "A passage.") for n in range(12, 0, -1))
    text = " ".join(f"[{n}]" for n in range(1, 13))
    assert [
        claim["position"]
        for claim in claims(message_entity(AnswerMarks(citations=citations), text, "entity"))
    ] == list(range(1, MAX_CITATIONS + 1))


def test_lengths_are_clipped_to_teams_limits_in_utf16_units() -> None:
    long = Citation(
        1,
        "😀" * 60,  # 120 UTF-16 units
        "word " * 100,
        keywords=("a" * 40, "b", "  ", "c", "d"),
    )
    [claim] = claims(message_entity(AnswerMarks(citations=(long,)), "See [1].", "entity"))
    appearance = claim["appearance"]
    assert isinstance(appearance, dict)
    assert utf16_length(appearance["name"]) <= NAME_LIMIT and appearance["name"].endswith("😀…")
    assert utf16_length(appearance["abstract"]) <= ABSTRACT_LIMIT and appearance["abstract"].endswith("…")
    assert appearance["keywords"] == ["a" * (KEYWORD_LIMIT - 1) + "…", "b", "c"]


def test_only_http_urls_are_links() -> None:
    local = Citation(1, "Local file", "A passage.", url="docs/setup.md")
    [claim] = claims(message_entity(AnswerMarks(citations=(local,)), "[1]", "entity"))
    assert "url" not in claim["appearance"]  # type: ignore[operator]


def test_the_sensitivity_label_is_usage_info() -> None:
    marks = AnswerMarks(sensitivity=SensitivityLabel("Confidential", "For staff only"))
    entity = message_entity(marks, "Hello", "entity")
    assert entity is not None
    assert entity["usageInfo"] == {
        "@type": "CreativeWork",
        "name": "Confidential",
        "description": "For staff only",
    }
    no_description = message_entity(AnswerMarks(sensitivity=SensitivityLabel("Internal", "")), "Hi", "entity")
    assert no_description is not None and no_description["usageInfo"] == {
        "@type": "CreativeWork",
        "name": "Internal",
    }


@pytest.mark.parametrize("feedback", ["default", "custom"])
def test_feedback_asks_for_its_loop_in_channel_data(feedback: str) -> None:
    assert feedback_channel_data(AnswerMarks(feedback=feedback)) == {"feedbackLoop": {"type": feedback}}  # type: ignore[arg-type]
    assert feedback_channel_data(AnswerMarks()) == {}


def test_each_client_gets_citations_the_way_it_renders_them() -> None:
    assert citation_style("msteams") == "entity"
    assert citation_style("webchat") == citation_style("directline") == "link_definitions"
    assert citation_style("emulator") == citation_style("slack") == "source_list"


def test_teams_reads_the_claims_so_the_text_gets_nothing() -> None:
    assert sources_text((RAINBOW,), "Rain [1].", "entity") == ""


def test_web_chat_gets_link_definitions_and_popups_for_sources_without_a_url() -> None:
    text = 'Rain [1] and "prisms" [2].'
    citations = (RAINBOW, Citation(2, 'The "prism" notes', "Drops act as prisms."))
    assert sources_text(citations, text, "link_definitions") == (
        '[1]: https://example.com/rainbow "Rainbows"\n[2]: cite:2 "The \\"prism\\" notes"'
    )
    with_url, without = claims(message_entity(AnswerMarks(citations=citations), text, "link_definitions"))
    assert "text" not in with_url["appearance"]  # type: ignore[operator]
    assert without["appearance"]["text"] == "Drops act as prisms."  # type: ignore[index]


def test_other_clients_get_a_numbered_list_and_no_claims() -> None:
    text = "Rain [1] and prisms [2]."
    odd = Citation(2, "Notes [draft] *v2*", "Drops.", url="https://example.com/a b(c)")
    assert sources_text((RAINBOW, odd), text, "source_list") == (
        "Sources:\n\n"
        "- [1] [Rainbows](https://example.com/rainbow)\n"
        "- [2] [Notes \\[draft\\] \\*v2\\*](https://example.com/a%20b%28c%29)"
    )
    entity = message_entity(AnswerMarks(citations=(RAINBOW,)), text, "source_list")
    assert entity is not None and "citation" not in entity


def test_no_cited_sources_no_list() -> None:
    assert sources_text((RAINBOW,), "No markers here.", "source_list") == ""


@pytest.mark.parametrize("style", ["entity", "link_definitions", "source_list"])
def test_every_entity_passes_the_playgrounds_and_teams_checks(style: str) -> None:
    citations = tuple(Citation(n, "N" * 200, "A" * 400, keywords=("k" * 50,) * 5) for n in range(1, 15))
    text = " ".join(f"[{n}]" for n in range(1, 15))
    marks = AnswerMarks(citations=citations, feedback="custom", sensitivity=SensitivityLabel("Secret", "x"))
    entity = message_entity(marks, text, style)  # type: ignore[arg-type]
    activity = {
        "type": "message",
        "text": text,
        "entities": [entity],
        "channelData": feedback_channel_data(marks),
    }
    assert ai_field_problems(activity) == []


def test_the_recording_connectors_checks_refuse_what_teams_and_the_playground_refuse() -> None:
    """The check the tests rely on is not vacuous: each break it must catch, it catches."""
    good = message_entity(AnswerMarks(citations=(RAINBOW,)), "Rain [1].", "entity")
    assert good is not None

    def problems(entity: dict[str, object], text: str = "Rain [1].", **extra: object) -> list[str]:
        return ai_field_problems({"type": "message", "text": text, "entities": [entity], **extra})

    [claim] = claims(good)
    no_abstract = {**claim, "appearance": {"@type": "DigitalDocument", "name": "Rainbows"}}
    assert ai_field_problems({"type": "message", "text": "x", "entities": [good, good]})
    assert problems({**good, "additionalType": ["AIGeneratedContent", "Other"]})
    assert problems({**good, "citation": [no_abstract]})
    assert problems(good, text="No marker.")
    assert problems({**good, "citation": [claim] * 11}, text="[1]")
    assert problems({**good, "@id": None})
    assert problems(good, channelData={"feedbackLoop": {"type": "thumbs"}})
    assert problems(good) == []


def test_web_chats_popup_shows_the_passage_as_markdown_up_to_its_limit() -> None:
    passage = "## Deploying\n\n- Create the bot.\n- Deploy the code.\n\n" + "More words here. " * 100
    [claim] = claims(
        message_entity(AnswerMarks(citations=(Citation(1, "Guide", passage),)), "[1]", "link_definitions")
    )
    appearance = claim["appearance"]
    assert isinstance(appearance, dict)
    assert appearance["text"].startswith("## Deploying\n\n- Create the bot.\n- Deploy the code.\n\n")
    assert len(appearance["text"]) == POPUP_LIMIT and appearance["text"].endswith("…")
    assert len(appearance["abstract"]) == ABSTRACT_LIMIT and "\n" not in appearance["abstract"]
