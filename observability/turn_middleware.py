"""The botbuilder middleware that gives every turn its log fields and times it into `bot_turn_seconds`."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from botbuilder.core import Middleware, TurnContext

from .logging import log_fields
from .metrics import BotMetrics


class TurnLogContextMiddleware(Middleware):
    """Puts the turn's ids on every log record written while the turn (and its tasks) run.

    An answer's own turn (a proactive continuation) is logged with the id of the user's message
    it answers, so that one id follows a message from its arrival to its final answer.
    """

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        activity = context.activity
        answered = activity.relates_to.activity_id if activity.relates_to else None
        with log_fields(
            conversation_id=activity.conversation.id if activity.conversation else "",
            activity_id=answered or activity.id or "",
            channel_id=activity.channel_id or "",
        ):
            await logic()


class TurnTimingMiddleware(Middleware):
    """Times every turn into `bot_turn_seconds`."""

    def __init__(self, metrics: BotMetrics) -> None:
        self._metrics = metrics

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        started = time.perf_counter()
        try:
            await logic()
        finally:
            kind = context.activity.type or "unknown"
            kind = getattr(kind, "value", kind)  # the SDK's own activities carry the enum member
            self._metrics.turn_seconds.labels(kind).observe(time.perf_counter() - started)
