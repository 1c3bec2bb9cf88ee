"""Answers the user's message with the model and streams the answer."""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import dataclass

from botbuilder.core import ConversationState
from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult

from llm import ChatMessage, ChatModel
from streaming import AnswerStream, StreamingSettings, plan_delivery

from .chat_history import build_prompt, trim_history


@dataclass(frozen=True)
class ChatSettings:
    """What shapes a model request."""

    system_prompt: str
    history_char_budget: int


class ChatDialog(Dialog):
    """One turn of chat: history plus the new message to the model, the answer to the user.

    The conversation history lives in `ConversationState` (property `history`), as OpenAI-shaped
    messages, trimmed to the character budget; the bot saves it at the end of the turn.
    """

    def __init__(
        self,
        model: ChatModel,
        conversation_state: ConversationState,
        chat_settings: ChatSettings,
        streaming_settings: StreamingSettings,
    ) -> None:
        super().__init__(ChatDialog.__name__)
        self._model = model
        self._history = conversation_state.create_property("history")
        self._chat_settings = chat_settings
        self._streaming_settings = streaming_settings

    async def begin_dialog(self, dialog_context: DialogContext, options: object = None) -> DialogTurnResult:
        context = dialog_context.context
        question = (context.activity.text or "").strip()
        history: list[ChatMessage] = await self._history.get(context, list)
        budget = self._chat_settings.history_char_budget
        prompt = build_prompt(self._chat_settings.system_prompt, history, question, budget)

        plan = plan_delivery(context.activity, self._streaming_settings)
        async with AnswerStream(context, plan) as answer, aclosing(self._model.stream_chat(prompt)) as deltas:
            async for delta in deltas:
                answer.append(delta)

        turn: list[ChatMessage] = [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer.final_text or ""},
        ]
        await self._history.set(context, trim_history([*history, *turn], budget))
        return await dialog_context.end_dialog()
