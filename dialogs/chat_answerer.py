"""Answers one question: history and question to the model, the answer to the user and the history."""

from __future__ import annotations

from dataclasses import dataclass

from botbuilder.core import ConversationState, TurnContext, UserState

from channels import is_group_conversation
from llm import ChatModel
from streaming import AnswerStream, StreamingSettings, plan_delivery
from streaming.answer_stream import AnswerObserver

from .chat_history import HISTORY_PROPERTY, HistoryEntry, build_prompt, record_added, trim_history
from .group_chat import GROUP_SYSTEM_NOTE
from .user_profile import PROFILE_PROPERTY, UserProfile, system_prompt_for, temperature_for

DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful assistant in a chat app. Answer clearly and concisely; use Markdown where it helps."
)


@dataclass(frozen=True)
class ChatSettings:
    """What shapes a model request: the system prompt, and how much history goes with each question."""

    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    history_char_budget: int = 12_000  # characters; the oldest turns drop first


class ChatAnswerer:
    """Streams the model's answer to `question` and records the exchange in the history.

    The history lives in `ConversationState` (property `history`); the user's profile (answer style,
    custom instructions, temperature) in `UserState` (property `profile`), which this only reads.
    Whoever ends the turn saves the state: the bot for the user's turn, `ConversationAnswers` for
    an answer's turn of its own.
    """

    def __init__(
        self,
        model: ChatModel,
        conversation_state: ConversationState,
        user_state: UserState,
        chat_settings: ChatSettings,
        streaming_settings: StreamingSettings,
        observer: AnswerObserver | None = None,
    ) -> None:
        self._model = model
        self._observer = observer
        self._conversation_state = conversation_state
        self._user_state = user_state
        self._history = conversation_state.create_property(HISTORY_PROPERTY)
        self._profile = user_state.create_property(PROFILE_PROPERTY)
        self._chat_settings = chat_settings
        self._streaming_settings = streaming_settings

    async def answer(self, context: TurnContext, question: str) -> None:
        await self._conversation_state.load(context)
        await self._user_state.load(context)
        history: list[HistoryEntry] = await self._history.get(context, list)
        profile: UserProfile | None = await self._profile.get(context)  # No default: reading only.
        budget = self._chat_settings.history_char_budget
        prompt = build_prompt(self._system_prompt(context, profile), history, question, budget)

        plan = plan_delivery(context.activity, self._streaming_settings)
        async with AnswerStream(context, plan, self._streaming_settings, observer=self._observer) as answer:
            deltas = self._model.stream_chat(prompt, temperature=temperature_for(profile))
            await answer.consume(deltas, batched=getattr(self._model, "streams_ahead", False))

        turn: list[HistoryEntry] = [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer.final_text or "", "outcome": answer.outcome.value},
        ]
        await self._history.set(context, trim_history([*history, *turn], budget))
        record_added(context, turn)

    def _system_prompt(self, context: TurnContext, profile: UserProfile | None) -> str:
        prompt = system_prompt_for(self._chat_settings.system_prompt, profile)
        if is_group_conversation(context.activity):
            prompt = f"{prompt}\n\n{GROUP_SYSTEM_NOTE}"
        return prompt
