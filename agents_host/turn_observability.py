"""Every turn on the Agents SDK logged with its ids and timed into `bot_turn_seconds`, as on botbuilder
(`observability/turn_middleware.py`); the log fields and the metrics are the SDK-free `observability/`."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from microsoft_agents.hosting.core import TurnContext

from observability import BotMetrics, log_fields


class TurnLogContextMiddleware:
    """Puts the turn's ids on every log record written while the turn (and its tasks) run.

    An answer's own turn is logged with the id of the user's message it answers.
    """

    async def on_turn(self, context: TurnContext, logic: Callable[[TurnContext], Awaitable[None]]) -> None:
        activity = context.activity
        answered = activity.relates_to.activity_id if activity.relates_to else None
        with log_fields(
            conversation_id=activity.conversation.id if activity.conversation else "",
            activity_id=answered or activity.id or "",
            channel_id=str(activity.channel_id or ""),
        ):
            await logic(context)


class TurnTimingMiddleware:
    """Times every turn into `bot_turn_seconds`, by activity type (an answer's own turn is an `event`)."""

    def __init__(self, metrics: BotMetrics) -> None:
        self._metrics = metrics

    async def on_turn(self, context: TurnContext, logic: Callable[[TurnContext], Awaitable[None]]) -> None:
        started = time.perf_counter()
        try:
            await logic(context)
        finally:
            kind = str(context.activity.type or "unknown")
            self._metrics.turn_seconds.labels(kind).observe(time.perf_counter() - started)
