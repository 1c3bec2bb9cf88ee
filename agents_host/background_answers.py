"""Answers on the Agents SDK: a turn of their own after the user's, through the adapter's continuation.

As on botbuilder, `BackgroundAnswers` (see `dialogs.background_answers`) continues the conversation
once the user's turn is over, and the answer's turn replies to the user's message;
`ConversationOrderMiddleware` holds each user message's turn until the conversation's previous
answer has ended.

The SDK's `continue_conversation(agent_app_id, continuation_activity, callback)` builds claims from
the app id, and with an empty one (anonymous local development) fails to get a token for the user
token client; `continue_conversation_with_claims` with the user's turn's identity works in both
cases, as botbuilder's `continue_conversation(reference, callback, bot_id)` does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from microsoft_agents.activity import ActivityTypes
from microsoft_agents.hosting.core import ChannelServiceAdapter, TurnContext
from microsoft_agents.hosting.core.authorization import ClaimsIdentity

from channels import conversation_key
from dialogs.background_answers import BackgroundAnswers as SharedBackgroundAnswers
from safety import RunningAnswers
from streaming import AnswerSlot, ConversationScheduler
from streaming.conversation_scheduler import RunAnswer

AnswerWork = Callable[[TurnContext, AnswerSlot | None], Awaitable[None]]
"""Produces the answer in a turn; the slot is the conversation it belongs to (None: inline)."""


class BackgroundAnswers(SharedBackgroundAnswers[TurnContext]):
    """Answers in Agents SDK continuation turns, with the user's turn's identity."""

    def __init__(
        self,
        scheduler: ConversationScheduler,
        adapter: ChannelServiceAdapter,
        running_answers: RunningAnswers | None = None,
    ) -> None:
        super().__init__(scheduler, running_answers)
        self._adapter = adapter

    def continuation(self, context: TurnContext, work: AnswerWork) -> RunAnswer:
        reference = context.activity.get_conversation_reference()
        identity = context.identity or ClaimsIdentity()

        async def answer_turn(slot: AnswerSlot) -> None:
            async def continuation(answer_context: TurnContext) -> None:
                # Reply to the user's message, as the user's turn would have (the continuation
                # activity carries a fresh id of its own).
                answer_context.activity.id = reference.activity_id
                await work(answer_context, slot)

            await self._adapter.continue_conversation_with_claims(
                identity, reference.get_continuation_activity(), continuation
            )

        return answer_turn


class ConversationOrderMiddleware:
    """Runs each user message's turn only after the conversation's previous answer has ended."""

    def __init__(self, scheduler: ConversationScheduler) -> None:
        self._scheduler = scheduler

    async def on_turn(self, context: TurnContext, logic: Callable[[TurnContext], Awaitable[None]]) -> None:
        if context.activity.type != ActivityTypes.message:
            await logic(context)
            return
        async with self._scheduler.inbound_turn(conversation_key(context.activity)):
            await logic(context)
