"""The typed stop on the Agents SDK: `dialogs.typed_stop` decides, this middleware confirms (see there)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from microsoft_agents.hosting.core import TurnContext

from dialogs.typed_stop import STOPPED_REPLY, stop_if_asked
from streaming import ConversationScheduler


class TypedStopMiddleware:
    """Ends the conversation's answer in progress on a stop or cancel command, and confirms it once."""

    def __init__(self, scheduler: ConversationScheduler) -> None:
        self._scheduler = scheduler

    async def on_turn(self, context: TurnContext, logic: Callable[[TurnContext], Awaitable[None]]) -> None:
        if await stop_if_asked(self._scheduler, context.activity):
            await context.send_activity(STOPPED_REPLY)
            return
        await logic(context)
