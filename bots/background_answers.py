"""Answers on botbuilder: a turn of their own after the user's, through the adapter's continuation.

`BackgroundAnswers.run` hands the answer to the `ConversationScheduler`, which starts it once the
user's turn is over; the answer's turn replies to the user's message, starts from the state that
turn saved, and ends by saving its own. `ConversationOrderMiddleware` holds each user message's
turn until the conversation's previous answer has ended.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from botbuilder.core import BotAdapter, Middleware, TurnContext
from botbuilder.schema import ActivityTypes, DeliveryModes

from channels import conversation_key
from dialogs import AnswerWork
from streaming import AnswerSlot, ConversationScheduler

SaveState = Callable[[TurnContext], Awaitable[None]]
HandOverState = Callable[[TurnContext, TurnContext], None]

SHUTTING_DOWN_REPLY = "I'm restarting right now, so I can't answer that. Please send it again in a moment."


class BackgroundAnswers:
    """Runs each answer in a continuation turn after the user's turn; inline for `expectReplies`."""

    def __init__(
        self,
        scheduler: ConversationScheduler,
        adapter: BotAdapter,
        bot_app_id: str,
        save_state: SaveState,
        hand_over_state: HandOverState,
    ) -> None:
        self._scheduler = scheduler
        self._adapter = adapter
        self._bot_app_id = bot_app_id
        self._save_state = save_state
        self._hand_over_state = hand_over_state

    async def run(self, context: TurnContext, work: AnswerWork) -> None:
        """Run `work` in a continuation turn after this one; in this turn for `expectReplies`."""
        if self._scheduler.closing:
            await context.send_activity(SHUTTING_DOWN_REPLY)
            return
        if context.activity.delivery_mode == DeliveryModes.expect_replies:
            await work(context, None)  # The replies must be in this request's response.
            return
        reference = TurnContext.get_conversation_reference(context.activity)
        sender = context.activity.from_property

        async def answer_turn(slot: AnswerSlot) -> None:
            async def continuation(answer_context: TurnContext) -> None:
                # Reply to the user's message, as the inbound turn would have (the continuation
                # activity carries a fresh id of its own).
                answer_context.activity.id = reference.activity_id
                self._hand_over_state(context, answer_context)
                await work(answer_context, slot)
                await self._save_state(answer_context)

            await self._adapter.continue_conversation(reference, continuation, self._bot_app_id)

        self._scheduler.start(conversation_key(context.activity), sender.id if sender else None, answer_turn)


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
