"""The chat agent on the Agents SDK: each message is answered by `answers.ChatAnswer`, as on botbuilder.

The user's turn hands the answer to `BackgroundAnswers` and ends; the answer's own turn reads the
history and the user's profile, streams the answer through `AgentsChannel`, and adds the exchange to
the history. The botbuilder host's dialogs (help, settings, reset) are not ported: their commands
get a short reply saying so (see docs/migrating-to-agents-sdk.md). Invokes go to `FeedbackInvokes`;
any other invoke is answered 400, as the botbuilder host answers it.
"""

from __future__ import annotations

from http import HTTPStatus

from microsoft_agents.activity import Activity, ActivityTypes, InvokeResponse
from microsoft_agents.hosting.core import Storage, TurnContext

from answers import ChatAnswer
from dialogs.commands import Command, recognize_command
from dialogs.group_chat import attributed
from streaming import AnswerSlot

from .background_answers import BackgroundAnswers
from .channel import AgentsChannel, conversation_facts
from .chat_state import TurnChatState
from .feedback import FeedbackInvokes

NOT_TEXT_REPLY = "I can only read text for now. Please type your question."
NOTHING_TO_CANCEL_REPLY = "There is nothing to cancel. Ask me anything."
NOT_PORTED_REPLY = (
    "Sorry, **{command}** is not available on this version of me yet. Ask me anything, "
    "or type **stop** while I answer to stop me."
)
UNHANDLED_INVOKE = "The bot does not handle this invoke."


class ChatAgent:
    """Answers each text message in the background; commands it cannot run get a short reply;
    feedback invokes go to `feedback`."""

    def __init__(
        self, chat: ChatAnswer, storage: Storage, answers: BackgroundAnswers, feedback: FeedbackInvokes
    ) -> None:
        self._chat = chat
        self._storage = storage
        self._answers = answers
        self._feedback = feedback

    async def on_turn(self, context: TurnContext) -> None:
        """Handle one activity: messages and invokes need something, the others nothing."""
        if context.activity.type == ActivityTypes.invoke:
            await self._answer_invoke(context)
            return
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

        async def show_sign(slot: AnswerSlot) -> None:
            facts = conversation_facts(context.activity)
            await self._chat.show_first_sign(AgentsChannel(context), facts, slot)

        await self._answers.run(context, answer, show_sign)

    async def _answer_invoke(self, context: TurnContext) -> None:
        """Answer an invoke: the SDK sends the invoke response of the turn as the HTTP answer."""
        response = await self._feedback.answer(context.activity)
        if response is None:
            response = InvokeResponse(status=HTTPStatus.BAD_REQUEST, body={"error": UNHANDLED_INVOKE})
        await context.send_activity(Activity(type=ActivityTypes.invoke_response, value=response))

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
