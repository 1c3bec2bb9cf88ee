"""The bot's answers in the official Web Chat client (botframework-webchat 4.18.1), read from its page.

Web Chat talks to a local Direct Line (tests/support/directline.py) over a WebSocket, as it talks
to Azure's; the bot streams to it as to any Bot Connector. Every assertion is about what the page
showed: each state of the transcript is recorded as it changes (see page.py), and every test also
checks that the page logged no console error. Screenshots go to test-artifacts/webchat/.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.webchat.page import Bubble, Snapshot, WebChatPage

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

INTERRUPTED = "(Interrupted by your new message.)"  # the bot's note, as Markdown renders it
INFORMATIVE = "Thinking…"  # the bot's informative update, which Web Chat must not draw as a bubble


def word_tokens(text: str) -> list[str]:
    """`text` as a model streams it, a word a token."""
    return re.findall(r"\S+\s*", text)


def chunk_tokens(text: str, size: int = 5) -> list[str]:
    """`text` as a model streams it, in short pieces that cut words and Markdown marks in two."""
    return [text[start : start + size] for start in range(0, len(text), size)]


def label(bubble: Bubble, questions: Sequence[str], answers: Sequence[str]) -> str:
    """ "Q2" for the second question, "A2" for (part of) the second answer, else what it shows."""
    if bubble.role == "user" and bubble.text in questions:
        return f"Q{questions.index(bubble.text) + 1}"
    for number, answer in enumerate(answers, start=1):
        start = bubble.text.split()[:3]  # an answer's first words, even before it has three
        if bubble.role == "bot" and start and answer.split()[: len(start)] == start:
            return f"A{number}"
    return f"{bubble.role}: {bubble.text!r}"


def assert_in_order(snapshots: Sequence[Snapshot], questions: Sequence[str], answers: Sequence[str]) -> None:
    """At every moment, each answer shows under its own question: Q1, A1, Q2, A2, …"""
    expected = [f"{kind}{number}" for number in range(1, len(questions) + 1) for kind in "QA"]
    for snapshot in snapshots:
        shown = [label(bubble, questions, answers) for bubble in snapshot.conversation]
        assert shown == expected[: len(shown)], f"at {snapshot.at:.0f} ms the page showed {shown}"


def assert_grows(snapshots: Sequence[Snapshot], answer: str) -> list[str]:
    """The answer shows in one bubble whose text only ever grows; return its texts in order."""
    texts: list[str] = []
    for snapshot in snapshots:
        shown = [bubble.text for bubble in snapshot.conversation if label(bubble, [], [answer]) == "A1"]
        assert len(shown) <= 1, f"at {snapshot.at:.0f} ms the answer showed in {len(shown)} bubbles: {shown}"
        if shown and (not texts or shown[0] != texts[-1]):
            before = texts[-1].split() if texts else []
            assert shown[0].split()[: len(before)] == before, (
                f"the answer shrank: {texts[-1]!r} -> {shown[0]!r}"
            )
            texts.append(shown[0])
    return texts


def assert_never_shows(snapshots: Sequence[Snapshot], text: str) -> None:
    for snapshot in snapshots:
        assert not any(text in bubble.text for bubble in snapshot.bubbles), f"{text!r} showed as a bubble"


def texts(snapshot: Snapshot) -> list[tuple[str, str]]:
    return [(bubble.role, bubble.text) for bubble in snapshot.conversation]


async def test_an_answer_grows_in_one_bubble(
    chat: WebChatPage, answers: dict[str, list[str]], artifacts_dir: Path
) -> None:
    """(a) The answer appears early, grows in a single bubble and never shrinks; "Thinking…" stays
    hidden (Web Chat shows no bubble for an informative update)."""
    question = "Why stream an answer?"
    answer = (
        "Streaming lets you start reading while the rest of the answer is still being written, "
        "so a long answer never feels like a long wait for nothing at all."
    )
    answers[question] = word_tokens(answer)

    await chat.ask(question)
    await chat.wait_for(lambda shown: any(label(b, [], [answer]) == "A1" for b in shown.conversation))
    await chat.screenshot(artifacts_dir / "a-mid-stream.png")
    await chat.wait_for_finals(1)
    final = await chat.wait_for(lambda shown: texts(shown) == [("user", question), ("bot", answer)])
    await chat.screenshot(artifacts_dir / "a-final.png")

    shown = assert_grows(chat.snapshots, answer)
    partial = [text for text in shown if text != answer]
    assert len(partial) >= 2, f"the answer did not stream: the page showed {shown}"
    assert_in_order(chat.snapshots, [question], [answer])
    assert_never_shows(chat.snapshots, INFORMATIVE)
    assert not final.typing, "the typing indicator still shows after the final message"
    assert chat.errors == []


async def test_answers_show_in_order_under_their_questions(
    chat: WebChatPage, answers: dict[str, list[str]], artifacts_dir: Path
) -> None:
    """(b) A second answer shows under the second question, after the first answer.

    Web Chat 4.18.1 put it right under the first question when a stream's first activity carried
    a streamSequence in its channelData (see streaming/entities.py).
    """
    questions = ["What is a stream?", "And what is a final message?"]
    replies = [
        "A stream is one answer sent as growing updates of the same bubble.",
        "The final message ends the stream with the whole answer in that bubble.",
    ]
    for question, reply in zip(questions, replies, strict=True):
        answers[question] = word_tokens(reply)

    await chat.ask(questions[0])
    await chat.wait_for_finals(1)
    await chat.wait_for(lambda shown: ("bot", replies[0]) in texts(shown))
    await chat.ask(questions[1])
    await chat.wait_for_finals(2)
    final = await chat.wait_for(lambda shown: ("bot", replies[1]) in texts(shown))
    await chat.screenshot(artifacts_dir / "b-two-answers.png")

    assert_in_order(chat.snapshots, questions, replies)
    assert texts(final) == [
        ("user", questions[0]),
        ("bot", replies[0]),
        ("user", questions[1]),
        ("bot", replies[1]),
    ]
    for reply in replies:
        assert_grows(chat.snapshots, reply)
    assert chat.errors == []


async def test_a_new_question_ends_the_answer_in_progress(
    chat: WebChatPage, answers: dict[str, list[str]], artifacts_dir: Path
) -> None:
    """(c) A question asked while an answer streams ends that answer where it was, with a note,
    in its own bubble (none is left streaming); the new answer follows, in order."""
    questions = ["Tell me a long story.", "Stop, what time is it?"]
    replies = [
        "Once upon a time there was a bot that streamed its answers word by word, " * 6,
        "It is time for a shorter answer.",
    ]
    answers[questions[0]] = word_tokens(replies[0])
    answers[questions[1]] = word_tokens(replies[1])

    await chat.ask(questions[0])
    await chat.wait_for(
        lambda shown: len(shown.conversation) == 2 and len(shown.conversation[1].text.split()) > 4
    )
    await chat.ask(questions[1])
    finals = await chat.wait_for_finals(2)
    final = await chat.wait_for(lambda shown: ("bot", replies[1]) in texts(shown))
    await chat.screenshot(artifacts_dir / "c-interrupted.png")

    assert_in_order(chat.snapshots, questions, replies)
    for reply in replies:
        assert_grows(chat.snapshots, reply)
    assert [(bubble.role, bubble.text) for bubble in final.conversation[::2]] == [
        ("user", questions[0]),
        ("user", questions[1]),
    ]
    cut, answer = final.conversation[1].text, final.conversation[3].text
    assert cut.endswith(INTERRUPTED), f"the interrupted answer has no note: {cut!r}"
    told = cut.removesuffix(INTERRUPTED).split()
    assert told == replies[0].split()[: len(told)] and len(told) < len(replies[0].split())
    assert finals[0]["text"].endswith("_(Interrupted by your new message.)_")
    assert answer == replies[1]
    assert len(final.conversation) == 4 and not final.typing, "a bubble was left behind"
    assert chat.errors == []


async def test_markdown_never_shows_its_marks_while_streaming(
    chat: WebChatPage, answers: dict[str, list[str]], artifacts_dir: Path
) -> None:
    """(d) A Markdown answer renders as Markdown at every moment: no half-written `**`, backtick or
    list dash ever shows as text, and the final answer has its list, bold, code and code block."""
    question = "How does the bot stream?"
    answer = (
        "Here is the plan:\n\n"
        "- **Stream every answer as it is written** to the user\n"
        "- Call `send_activity(text)` once per update\n"
        "- Finish with a final message\n\n"
        "```python\n"
        "for token in tokens:\n"
        "    send(token)\n"
        "```\n\n"
        "That is all."
    )
    answers[question] = chunk_tokens(answer)

    await chat.ask(question)
    await chat.wait_for_finals(1)
    final = await chat.wait_for(
        lambda shown: len(shown.conversation) == 2 and shown.conversation[1].text.endswith("That is all.")
    )
    await chat.screenshot(artifacts_dir / "d-markdown.png")

    shown = [snapshot.conversation[1].text for snapshot in chat.snapshots if len(snapshot.conversation) > 1]
    assert len(set(shown)) >= 3, f"the answer did not stream: the page showed {shown}"
    for text in shown:
        assert "**" not in text, f"half-written bold shows as text: {text!r}"
        assert "`" not in text, f"a half-written code mark shows as text: {text!r}"
        assert not re.search(r"(?m)^\s*[-*+](\s|$)", text), f"a list dash shows as text: {text!r}"
    rendered = final.conversation[1]
    assert {"ul", "li", "strong", "code", "pre"} <= rendered.tags, f"not rendered as Markdown: {rendered}"
    assert "Stream every answer as it is written" in rendered.text
    assert "for token in tokens:\n    send(token)" in rendered.text
    assert chat.errors == []
