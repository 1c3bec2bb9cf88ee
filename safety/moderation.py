"""Moderation on botbuilder: the user's text is checked before a dialog or the model sees it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from botbuilder.core import Middleware, TurnContext
from botbuilder.schema import ActivityTypes

from .moderator import Moderator


class ModerationMiddleware(Middleware):
    """Refuses a blocked message before it reaches a dialog or the model. (Answers get the same
    moderator as their `AnswerFilter` where app.py builds `ChatAnswer`.)"""

    def __init__(self, moderator: Moderator) -> None:
        self._moderator = moderator

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        activity = context.activity
        if activity.type == ActivityTypes.message:
            refusal = await self._moderator.refusal(activity.text)
            if refusal is not None:
                await context.send_activity(refusal)
                return
        await logic()
