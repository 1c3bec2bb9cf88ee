"""The dialog that answers the user's message with the model."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from botbuilder.core import TurnContext
from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult

from .chat_answerer import ChatAnswerer
from .group_chat import attributed

AnswerWork = Callable[[TurnContext], Awaitable[None]]


class AnswerRunner(Protocol):
    """Where an answer runs: `streaming.ConversationAnswers` runs it in the background."""

    async def run(self, context: TurnContext, work: AnswerWork) -> None: ...


class InlineAnswers:
    """Runs the answer inside the user's turn: for tests and for hosts without background answers."""

    async def run(self, context: TurnContext, work: AnswerWork) -> None:
        await work(context)


class ChatDialog(Dialog):
    """One turn of chat: hands the question to the answerer and ends.

    In a group conversation the question carries the sender's name ("Ana: ..."), so that the
    history says who asked what.
    """

    def __init__(self, answerer: ChatAnswerer, runner: AnswerRunner | None = None) -> None:
        super().__init__(ChatDialog.__name__)
        self._answerer = answerer
        self._runner = runner or InlineAnswers()

    async def begin_dialog(self, dialog_context: DialogContext, options: object = None) -> DialogTurnResult:
        activity = dialog_context.context.activity
        question = attributed(activity, (activity.text or "").strip())

        async def answer(context: TurnContext) -> None:
            await self._answerer.answer(context, question)

        await self._runner.run(dialog_context.context, answer)
        return await dialog_context.end_dialog()
