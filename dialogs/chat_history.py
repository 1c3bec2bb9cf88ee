"""The conversation history sent to the model, kept within a character budget."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NotRequired

from botbuilder.core import TurnContext

from llm import ChatMessage

HISTORY_PROPERTY = "history"
"""The `ConversationState` property that holds the history."""
ADDED_THIS_TURN_KEY = "chat.history_added"
"""turn_state key of the entries this turn added, so a conflicting save can add them again."""
RESET_THIS_TURN_KEY = "chat.history_reset"
"""turn_state key set when this turn cleared the history (the reset dialog)."""


class HistoryEntry(ChatMessage):
    """A message as kept in the conversation state; answers also record how they ended."""

    outcome: NotRequired[str]


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


def record_added(context: TurnContext, entries: Sequence[HistoryEntry]) -> None:
    """Remember what this turn added to the history, for `merge_added`."""
    context.turn_state.setdefault(ADDED_THIS_TURN_KEY, []).extend(entries)


def record_reset(context: TurnContext) -> None:
    """Remember that this turn cleared the history: what it added before is gone too."""
    context.turn_state[RESET_THIS_TURN_KEY] = True
    context.turn_state[ADDED_THIS_TURN_KEY] = []


def merge_added(context: TurnContext, fresh_state: dict[str, object], budget: int) -> None:
    """Apply this turn's history change to history that another turn saved meanwhile (`fresh_state`).

    This turn's entries are added to it; if this turn cleared the history, the fresh history is
    cleared too, and holds only what this turn added after clearing it.
    """
    added = context.turn_state.get(ADDED_THIS_TURN_KEY) or []
    if context.turn_state.get(RESET_THIS_TURN_KEY):
        fresh_state[HISTORY_PROPERTY] = trim_history(added, budget)
    elif added:
        history = fresh_state.get(HISTORY_PROPERTY) or []
        fresh_state[HISTORY_PROPERTY] = trim_history([*history, *added], budget)
