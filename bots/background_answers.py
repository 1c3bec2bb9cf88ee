"""Answers on botbuilder: a turn of their own after the user's, through the adapter's continuation.

`BackgroundAnswers` (see `dialogs.background_answers`) continues the conversation once the user's
turn is over; the answer's turn replies to the user's message, starts from the state that turn
saved, and ends by saving its own. Its origin (the conversation reference and the question) lets
another instance finish it (`bots.answer_recovery`). `ConversationOrderMiddleware` holds each user
message's turn until the conversation's previous answer has ended.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import BotAdapter, Middleware, TurnContext
from botbuilder.schema import ActivityTypes

from channels import conversation_key
from dialogs import AnswerWork
from dialogs.background_answers import BackgroundAnswers as SharedBackgroundAnswers
from dialogs.group_chat import question_of
from safety import RunningAnswers
from streaming import AnswerSlot, ConversationScheduler, SignPriority
from streaming.conversation_scheduler import RunAnswer
from streaming.leases import AnswerOrigin

SaveState = Callable[[TurnContext], Awaitable[None]]
HandOverState = Callable[[TurnContext, TurnContext], None]


class BackgroundAnswers(SharedBackgroundAnswers[TurnContext]):
    """Answers in botbuilder continuation turns, which start from the state the user's turn saved."""

    def __init__(
        self,
        scheduler: ConversationScheduler,
        adapter: BotAdapter,
        bot_app_id: str,
        save_state: SaveState,
        hand_over_state: HandOverState,
        running_answers: RunningAnswers | None = None,
        priority: SignPriority | None = None,
    ) -> None:
        super().__init__(scheduler, running_answers, priority)
        self._adapter = adapter
        self._bot_app_id = bot_app_id
        self._save_state = save_state
        self._hand_over_state = hand_over_state

    def continuation(self, context: TurnContext, work: AnswerWork) -> RunAnswer:
        reference = TurnContext.get_conversation_reference(context.activity)

        async def answer_turn(slot: AnswerSlot) -> None:
            async def continuation(answer_context: TurnContext) -> None:
                # Reply to the user's message, as the inbound turn would have (the continuation
                # activity carries a fresh id of its own).
                answer_context.activity.id = reference.activity_id
                self._hand_over_state(context, answer_context)
                await work(answer_context, slot)
                await self._save_state(answer_context)

            await self._adapter.continue_conversation(reference, continuation, self._bot_app_id)

        return answer_turn

    def origin(self, context: TurnContext) -> AnswerOrigin:
        activity = context.activity

        def origin() -> dict[str, Any]:
            reference = TurnContext.get_conversation_reference(activity)
            return {"reference": reference.serialize(), "question": question_of(activity)}

        return origin


class ConversationOrderMiddleware(Middleware):
    """Runs each user message's turn only after the conversation's previous answer has ended."""

    def __init__(self, scheduler: ConversationScheduler) -> None:
        self._scheduler = scheduler

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        if context.activity.type != ActivityTypes.message:
            await logic()
            return
        async with self._scheduler.inbound_turn(conversation_key(context.activity)):
            await logic()
