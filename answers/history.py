"""The conversation history sent to the model, kept within a character budget."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NotRequired

from llm import ChatMessage


class HistoryEntry(ChatMessage):
    """A message as kept in the conversation state; answers also record how they ended."""

    outcome: NotRequired[str]


def exchange(question: str, answer: str, outcome: str) -> list[HistoryEntry]:
    """The history entries of one question and its answer, which ended as `outcome`."""
    return [
        {"role": "user", "content": question},
        {"role": "assistant", "content": answer, "outcome": outcome},
    ]


def trim_history(messages: Sequence[HistoryEntry], budget: int) -> list[HistoryEntry]:
    """The newest messages whose text fits in `budget` characters, starting with a user message.

    Oldest messages go first; a leading assistant message is dropped with its question so that
    the model never sees an answer without what it answered.
    """
    kept: list[HistoryEntry] = []
    used = 0
    for message in reversed(messages):
        used += len(message["content"])
        if used > budget:
            break
        kept.append(message)
    kept.reverse()
    while kept and kept[0]["role"] != "user":
        kept.pop(0)
    return kept


def build_prompt(
    system_prompt: str, history: Sequence[HistoryEntry], question: str, budget: int
) -> list[ChatMessage]:
    """System prompt, as much recent history as the budget leaves room for, then the question."""
    room = max(budget - len(question), 0)
    recent: list[ChatMessage] = [
        {"role": message["role"], "content": message["content"]} for message in trim_history(history, room)
    ]
    return [
        {"role": "system", "content": system_prompt},
        *recent,
        {"role": "user", "content": question},
    ]
