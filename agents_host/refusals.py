"""The safety checks on the Agents SDK: a message over a user's limits, or blocked by moderation,
gets the check's reply and goes no further. The checks themselves are SDK-free (`safety/`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from microsoft_agents.activity import ActivityTypes
from microsoft_agents.hosting.core import TurnContext

from channels import conversation_key
from safety import Moderator, UserLimits


class UserLimitsMiddleware:
    """Asks `UserLimits` about each user message; a refusal is sent instead of answering it."""

    def __init__(self, limits: UserLimits) -> None:
        self._limits = limits

    async def on_turn(self, context: TurnContext, logic: Callable[[TurnContext], Awaitable[None]]) -> None:
        activity = context.activity
        if activity.type == ActivityTypes.message and activity.from_property is not None:
            user = activity.from_property.id or ""
            refusal = await self._limits.refusal(user, activity.text, conversation_key(activity))
            if refusal is not None:
                await context.send_activity(refusal)
                return
        await logic(context)


class ModerationMiddleware:
    """Refuses a blocked message before it reaches the model (answers are filtered by the same moderator)."""

    def __init__(self, moderator: Moderator) -> None:
        self._moderator = moderator

    async def on_turn(self, context: TurnContext, logic: Callable[[TurnContext], Awaitable[None]]) -> None:
        if context.activity.type == ActivityTypes.message:
            refusal = await self._moderator.refusal(context.activity.text)
            if refusal is not None:
                await context.send_activity(refusal)
                return
        await logic(context)
