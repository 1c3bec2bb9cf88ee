"""The chat agent on the Agents SDK: each message is answered by `answers.ChatAnswer`, as on botbuilder.

The user's turn hands the answer to `BackgroundAnswers` and ends; the answer's own turn reads the
history and the user's profile, streams the answer through `AgentsChannel`, and adds the exchange to
the history. The botbuilder host's dialogs (help, settings, reset) are not ported: their commands
get a short reply saying so (see docs/migrating-to-agents-sdk.md).
"""

from __future__ import annotations

from microsoft_agents.activity import ActivityTypes
from microsoft_agents.hosting.core import Storage, TurnContext

from answers import ChatAnswer
from dialogs.commands import Command, recognize_command
from dialogs.group_chat import attributed
from streaming import AnswerSlot

from .background_answers import BackgroundAnswers
from .channel import AgentsChannel, conversation_facts
from .chat_state import TurnChatState

NOT_TEXT_REPLY = "I can only read text for now. Please type your question."
NOTHING_TO_CANCEL_REPLY = "There is nothing to cancel. Ask me anything."
NOT_PORTED_REPLY = (
    "Sorry, **{command}** is not available on this version of me yet. Ask me anything, "
    "or type **stop** while I answer to stop me."
)


class ChatAgent:
    """Answers each text message in the background; commands it cannot run get a short reply."""

    def __init__(self, chat: ChatAnswer, storage: Storage, answers: BackgroundAnswers) -> None:
        self._chat = chat
        self._storage = storage
        self._answers = answers

    async def on_turn(self, context: TurnContext) -> None:
        """Handle one activity: only messages need anything."""
        if context.activity.type != ActivityTypes.message:
            return
        text = (context.activity.text or "").strip()
        if not text:
            await context.send_activity(NOT_TEXT_REPLY)
            return
        command = recognize_command(text)
        if command is Command.CANCEL:  # `TypedStopMiddleware` has stopped any answer in progress.
            await context.send_activity(NOTHING_TO_CANCEL_REPLY)
            return
        if command is not None:
            await context.send_activity(NOT_PORTED_REPLY.format(command=command.value))
            return
        question = attributed(context.activity, text)

        async def answer(turn: TurnContext, slot: AnswerSlot | None) -> None:
            await self._answer(turn, question, slot)

        await self._answers.run(context, answer)

    async def _answer(self, context: TurnContext, question: str, slot: AnswerSlot | None) -> None:
        state = TurnChatState(self._storage, context, self._chat.history_budget)
        history = await state.history()
        profile = await state.profile()
        added = await self._chat.answer(
            AgentsChannel(context),
            conversation_facts(context.activity),
            history,
            question,
            profile=profile,
            slot=slot,
        )
        await state.add_to_history(added)
