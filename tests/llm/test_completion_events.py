"""The stream parser's edge cases, fed directly: where a read ends is up to the network."""

from __future__ import annotations

import json

import pytest

from llm.completion_events import CompletionEvents
from llm.think_block import LeadingThinkBlock


def chunk(content: str | None = None, *, finish_reason: str | None = None, **delta: str) -> bytes:
    """A minimal chat completion chunk event (see tests/llm/compat/recordings.py for real ones)."""
    body = delta | ({"content": content} if content is not None else {})
    choice = {"index": 0, "delta": body, "finish_reason": finish_reason}
    return f"data: {json.dumps({'choices': [choice]})}\n\n".encode()


def test_an_event_split_across_reads_is_read_once_whole() -> None:
    events = CompletionEvents()
    event = chunk("Hello")
    assert events.feed(event[:17]) == ""
    assert events.feed(event[17:]) == "Hello"


def test_crlf_line_ends_and_data_without_a_space() -> None:
    events = CompletionEvents()
    assert events.feed(b'data:{"choices":[{"delta":{"content":"Hi"}}]}\r\n\r\n') == "Hi"
    assert events.feed(b"data:[DONE]\r\n\r\n") == ""
    assert events.done and events.finished


def test_comments_event_names_and_choice_less_chunks_carry_no_text() -> None:
    events = CompletionEvents()
    data = (
        b": OPENROUTER PROCESSING\n\n"
        b"event: ping\n\n"
        b'data: {"choices":[],"prompt_filter_results":[]}\n\n'
        b'data: {"choices":[{"index":0,"finish_reason":null,"content_filter_offsets":{}}]}\n\n'
    )
    assert events.feed(data) == ""
    assert not events.reasoned and not events.ended and not events.finished


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_fields_are_reasoning_not_text(field: str) -> None:
    events = CompletionEvents()
    assert events.feed(chunk(**{field: "Let me think."})) == ""
    assert events.reasoned
    assert events.feed(chunk("Answer.", **{field: ""})) == "Answer."
    assert not events.reasoned


def test_a_read_with_reasoning_and_text_gives_the_text() -> None:
    events = CompletionEvents()
    assert events.feed(chunk(reasoning="Hmm.") + chunk("Answer")) == "Answer"
    assert events.reasoned  # the caller yields the text, and no signal, for this read


def test_the_finish_reason_is_kept() -> None:
    events = CompletionEvents()
    events.feed(chunk("Half an ans") + chunk("", finish_reason="length"))
    assert events.finish_reason == "length" and events.finished and not events.done


@pytest.mark.parametrize(
    "event",
    [
        b'data: {"error": {"message": "overloaded", "type": "server_error"}}\n\n',
        b'data: {"object": "error", "message": "engine died", "code": 500}\n\n',
        b"data: {not json\n\n",
        b"data: [1, 2]\n\n",
    ],
    ids=["error-event", "early-vllm-error", "malformed", "not-an-object"],
)
def test_errors_end_the_stream_after_the_text_before_them(event: bytes) -> None:
    events = CompletionEvents()
    assert events.feed(chunk("Before") + event + chunk("After")) == "Before"
    assert events.failure is not None and events.ended


def test_a_think_block_in_the_content_is_not_text() -> None:
    events = CompletionEvents()
    pieces = ["<think>", "\n", "The user", " asks.", "\n", "</think>", "\n\n", "Answer", " here."]
    texts = [events.feed(chunk(piece)) for piece in pieces]
    assert "".join(texts) == "Answer here."
    assert texts[:7] == [""] * 7


@pytest.mark.parametrize(
    ("pieces", "answer"),
    [
        (["<th", "ink>Hmm.</th", "ink>\n\nYes."], "Yes."),
        (["\n", " <", "think>", "Hmm.", "</", "think", ">", "\n", "\n", "Yes", "."], "Yes."),
        (["<think>Hmm.</think>Yes, <think> is a tag."], "Yes, <think> is a tag."),
        (["<think>\n\n</think>\n\n", "Yes."], "Yes."),
    ],
    ids=["tags-split-mid-word", "tags-split-everywhere", "tag-later-in-the-answer", "empty-block"],
)
def test_think_tags_split_anywhere_across_deltas(pieces: list[str], answer: str) -> None:
    block = LeadingThinkBlock()
    assert "".join(block.feed(piece) for piece in pieces) + block.rest() == answer


@pytest.mark.parametrize(
    "pieces",
    [["Plain", " answer."], ["<", "b>bold</b>"], ["<t", "able>"], ["\n\n", "Indented"], ["  <thin", "g>"]],
    ids=["plain", "html-tag", "prefix-of-the-tag", "leading-blank-lines", "near-miss"],
)
def test_an_answer_without_a_think_block_passes_unchanged(pieces: list[str]) -> None:
    block = LeadingThinkBlock()
    assert "".join(block.feed(piece) for piece in pieces) + block.rest() == "".join(pieces)
    assert block.settled


def test_what_is_held_at_the_end_is_answer_text_unless_it_was_reasoning() -> None:
    held = LeadingThinkBlock()
    assert held.feed("<th") == ""
    assert held.rest() == "<th"  # the answer was just that
    unterminated = LeadingThinkBlock()
    assert unterminated.feed("<think>Still thinking when the tokens ran out</thi") == ""
    assert unterminated.rest() == ""


def test_once_the_answer_began_text_is_not_searched_for_tags() -> None:
    events = CompletionEvents()
    assert events.feed(chunk("Answer")) == "Answer"
    assert events.feed(chunk("<think>")) == "<think>"
