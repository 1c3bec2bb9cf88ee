"""The chat agent on the Agents SDK: a user's message is answered by the model, with the history.

TEMPORARY shape until the shared answer path: the inbound turn hands the answer to a continuation
turn (`Continuations`), which loads the conversation's history, delivers the model's answer through
the channel port (`AgentsChannel`, `simple_answer`), and saves the history with the new exchange.
"""

from __future__ import annotations

from dataclasses import dataclass

from microsoft_agents.activity import ActivityTypes
from microsoft_agents.hosting.core import ConversationState, Storage, TurnContext

from llm import ChatMessage, ChatModel

from .channel import AgentsChannel, facts
from .continuations import Continuations
from .port_stand_in import ConversationFacts
from .simple_answer import deliver

HISTORY_PROPERTY = "history"
NOT_TEXT_REPLY = "I can only read text messages. Please type your question."


@dataclass(frozen=True)
class AnswerSettings:
    """What shapes an answer, from the configuration."""

    system_prompt: str
    history_char_budget: int
    teams_interval: float
    webchat_interval: float


class ChatAgent:
    """Answers each message in a background continuation turn; other activities need nothing."""

    def __init__(
        self, storage: Storage, model: ChatModel, continuations: Continuations, settings: AnswerSettings
    ) -> None:
        self._storage = storage
        self._model = model
        self._continuations = continuations
        self._settings = settings

    async def on_turn(self, context: TurnContext) -> None:
        """Handle one inbound activity."""
        if context.activity.type != ActivityTypes.message:
            return
        question = (context.activity.text or "").strip()
        if not question:
            await context.send_activity(NOT_TEXT_REPLY)
            return
        conversation = facts(context.activity)

        async def answer(turn: TurnContext) -> None:
            await self._answer(turn, conversation, question)

        if conversation.expect_replies:
            await answer(context)  # The replies must be in this request's response.
        else:
            self._continuations.start(context, answer)

    async def _answer(self, context: TurnContext, conversation: ConversationFacts, question: str) -> None:
        # A ConversationState per turn: the SDK's AgentState caches the loaded state on itself.
        state = ConversationState(self._storage)
        await state.load(context)
        history = state.create_property(HISTORY_PROPERTY)
        messages: list[ChatMessage] = list(await history.get(context, list))
        messages.append({"role": "user", "content": question})
        interval = (
            self._settings.teams_interval
            if conversation.channel_id == "msteams"
            else self._settings.webchat_interval
        )
        prompt = [{"role": "system", "content": self._settings.system_prompt}, *self._recent(messages)]
        text = await deliver(AgentsChannel(context), conversation, self._model.stream_chat(prompt), interval)
        messages.append({"role": "assistant", "content": text})
        await history.set(context, messages)
        await state.save(context)

    def _recent(self, messages: list[ChatMessage]) -> list[ChatMessage]:
        """The newest messages within the character budget (the question always)."""
        kept: list[ChatMessage] = []
        used = 0
        for message in reversed(messages):
            used += len(message["content"])
            if kept and used > self._settings.history_char_budget:
                break
            kept.append(message)
        return kept[::-1]
