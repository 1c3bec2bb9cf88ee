"""The dialog that answers the user's message with the model, and keeps the history."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from botbuilder.core import ConversationState, TurnContext, UserState
from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult

from answers import ChatAnswer, HistoryEntry, trim_history
from answers.profile import UserProfile
from channels import TurnContextChannel, conversation_facts
from streaming import AnswerSlot

from .background_answers import ShowSign
from .group_chat import question_of
from .turn_changes import HISTORY_PROPERTY, TurnChanges
from .user_profile import PROFILE_PROPERTY

AnswerWork = Callable[[TurnContext, AnswerSlot | None], Awaitable[None]]
"""Produces the answer in a turn; the slot is the conversation it belongs to (None: inline)."""


class AnswerRunner(Protocol):
    """Where an answer runs: `bots.BackgroundAnswers` runs it in a turn of its own, in the background,
    and shows its first sign right away."""

    async def run(
        self, context: TurnContext, work: AnswerWork, show_sign: ShowSign | None = None
    ) -> None: ...


class InlineAnswers:
    """Runs the answer inside the user's turn: for tests and for hosts without background answers."""

    async def run(self, context: TurnContext, work: AnswerWork, show_sign: ShowSign | None = None) -> None:
        await work(context, None)  # The answer shows its first sign itself, at once.


class ChatDialog(Dialog):
    """One turn of chat: the question, the history and the user's profile go to `ChatAnswer`, and the
    exchange goes into the history.

    The history lives in `ConversationState` (property `history`); the user's profile (answer style,
    custom instructions, temperature) in `UserState` (property `profile`), which this only reads.
    Whoever ends the answer's turn saves the state. In a group conversation the question carries the
    sender's name ("Ana: ..."), so that the history says who asked what.
    """

    def __init__(
        self,
        chat: ChatAnswer,
        conversation_state: ConversationState,
        user_state: UserState,
        runner: AnswerRunner | None = None,
    ) -> None:
        super().__init__(ChatDialog.__name__)
        self._chat = chat
        self._conversation_state = conversation_state
        self._user_state = user_state
        self._history = conversation_state.create_property(HISTORY_PROPERTY)
        self._profile = user_state.create_property(PROFILE_PROPERTY)
        self._runner = runner or InlineAnswers()

    async def begin_dialog(self, dialog_context: DialogContext, options: object = None) -> DialogTurnResult:
        turn = dialog_context.context
        question = question_of(turn.activity)

        async def answer(context: TurnContext, slot: AnswerSlot | None) -> None:
            await self.answer(context, question, slot)

        async def show_sign(slot: AnswerSlot) -> None:
            facts = conversation_facts(turn.activity)
            await self._chat.show_first_sign(TurnContextChannel(turn), facts, slot)

        await self._runner.run(turn, answer, show_sign)
        return await dialog_context.end_dialog()

    async def answer(self, context: TurnContext, question: str, slot: AnswerSlot | None) -> None:
        """Answer `question` in `context`'s turn, with the conversation's history, and add the exchange
        to it: the user's question here, or a notification's prompt (see bots/proactive_turns.py)."""
        await self._conversation_state.load(context)
        await self._user_state.load(context)
        history: list[HistoryEntry] = await self._history.get(context, list)
        profile: UserProfile | None = await self._profile.get(context)  # No default: reading only.
        added = await self._chat.answer(
            TurnContextChannel(context),
            conversation_facts(context.activity),
            history,
            question,
            profile=profile,
            slot=slot,
        )
        await self._history.set(context, trim_history([*history, *added], self._chat.history_budget))
        TurnChanges.of(context).add_to_history(added)
