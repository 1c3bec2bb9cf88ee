"""Answers one question: the history and the question to the model, its answer to the user."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from llm import ChatModel
from streaming import (
    AnswerFilter,
    AnswerMarks,
    AnswerObserver,
    AnswerSlot,
    AnswerStream,
    ChannelPort,
    ConversationFacts,
    StreamingSettings,
    plan_delivery,
)

from .history import HistoryEntry, build_prompt

DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful assistant in a chat app. Answer clearly and concisely; use Markdown where it helps."
)


@dataclass(frozen=True)
class ChatSettings:
    """What shapes an answer: the system prompt, how much history goes with each question, and the
    marks its last message carries (the AI label, feedback buttons, a sensitivity label)."""

    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    history_char_budget: int = 12_000  # characters; the oldest turns drop first
    marks: AnswerMarks = field(default_factory=lambda: AnswerMarks(feedback="default"))


class ChatAnswer:
    """Streams the model's answer to a question, and says what the exchange adds to the history.

    Whoever calls it keeps the history: this reads it and returns the new entries. Answers pass
    `answer_filter` (moderation) on their way out and report to `observer` (metrics, telemetry).
    """

    def __init__(
        self,
        model: ChatModel,
        chat_settings: ChatSettings,
        streaming_settings: StreamingSettings,
        *,
        answer_filter: AnswerFilter | None = None,
        observer: AnswerObserver | None = None,
    ) -> None:
        self._model = model
        self._chat_settings = chat_settings
        self._streaming_settings = streaming_settings
        self._filter = answer_filter
        self._observer = observer
        self._batched = getattr(model, "streams_ahead", False)

    @property
    def history_budget(self) -> int:
        """Characters of history kept and sent with each question."""
        return self._chat_settings.history_char_budget

    @property
    def system_prompt(self) -> str:
        """The configured system prompt, before a user's preferences shape it."""
        return self._chat_settings.system_prompt

    async def answer(
        self,
        port: ChannelPort,
        facts: ConversationFacts,
        history: Sequence[HistoryEntry],
        question: str,
        *,
        system_prompt: str,
        temperature: float | None,
        slot: AnswerSlot | None,
    ) -> list[HistoryEntry]:
        """Stream the answer to `question` through `port`; the user's and the answer's history entries."""
        prompt = build_prompt(system_prompt, history, question, self.history_budget)
        plan = plan_delivery(facts, self._streaming_settings)
        async with AnswerStream(
            port,
            plan,
            self._streaming_settings,
            slot=slot,
            answer_filter=self._filter,
            observer=self._observer,
            marks=self._chat_settings.marks,
        ) as answer:
            deltas = self._model.stream_chat(prompt, temperature=temperature)
            await answer.consume(deltas, batched=self._batched)
        return [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer.final_text or "", "outcome": answer.outcome.value},
        ]
