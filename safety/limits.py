"""Per-user limits on botbuilder: a refused message gets the limit's reply and goes no further."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from botbuilder.core import Middleware, TurnContext
from botbuilder.schema import ActivityTypes

from channels import conversation_key

from .user_limits import UserLimits


class UserLimitsMiddleware(Middleware):
    """Asks `UserLimits` about each user message; a refusal is sent instead of answering it."""

    def __init__(self, limits: UserLimits) -> None:
        self._limits = limits

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        activity = context.activity
        if activity.type != ActivityTypes.message or activity.from_property is None:
            await logic()
            return
        refusal = await self._limits.refusal(
            activity.from_property.id or "", activity.text, conversation_key(activity)
        )
        if refusal is not None:
            await context.send_activity(refusal)
            return
        await logic()
