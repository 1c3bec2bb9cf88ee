"""History trimming: newest first within the budget, never an answer without its question."""

from __future__ import annotations

from answers import build_prompt, trim_history
from llm import ChatMessage


def turn(question: str, answer: str) -> list[ChatMessage]:
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


def test_everything_is_kept_within_the_budget() -> None:
    history = turn("q1", "a1") + turn("q2", "a2")
    assert trim_history(history, 100) == history


def test_oldest_turns_go_first() -> None:
    history = turn("q" * 10, "a" * 10) + turn("q" * 10, "a" * 10) + turn("new?", "yes")
    assert trim_history(history, 30) == turn("q" * 10, "a" * 10)[0:0] + history[2:]


def test_an_answer_is_never_kept_without_its_question() -> None:
    history = turn("q" * 10, "a" * 5) + turn("q2", "a2")
    # The budget has room for the first answer but not its question.
    assert trim_history(history, 9) == turn("q2", "a2")


def test_prompt_is_system_then_history_then_question() -> None:
    history = turn("old question", "old answer")
    prompt = build_prompt("Be brief.", history, "new question", budget=1000)
    assert prompt == [
        {"role": "system", "content": "Be brief."},
        *history,
        {"role": "user", "content": "new question"},
    ]


def test_question_takes_its_room_from_the_history_budget() -> None:
    history = turn("q" * 10, "a" * 10)
    prompt = build_prompt("sys", history, "x" * 15, budget=30)
    assert prompt == [{"role": "system", "content": "sys"}, {"role": "user", "content": "x" * 15}]
