"""A typed "stop" or "cancel" ends the answer in progress, as the Stop button does in Teams.

Web Chat and the Emulator have no Stop button. Without this, such a message would interrupt the
answer as any new message does, and then reach the dialogs as a command with nothing to cancel.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from botbuilder.core import Middleware, TurnContext
from botbuilder.schema import ActivityTypes

from channels import conversation_key
from dialogs.commands import Command, recognize_command
from streaming import ConversationScheduler, StopReason

logger = logging.getLogger(__name__)

STOPPED_REPLY = "OK, I stopped."


class TypedStopMiddleware(Middleware):
    """Stops the conversation's answer in progress on a stop or cancel command, and confirms it once.

    The answer keeps the text so far, marked as stopped, and its model request is closed. With no
    answer in progress the message goes on to the dialogs (cancel leaves a dialog in progress).
    """

    def __init__(self, scheduler: ConversationScheduler) -> None:
        self._scheduler = scheduler

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        activity = context.activity
        key = conversation_key(activity)
        if (
            activity.type == ActivityTypes.message
            and recognize_command(activity.text) is Command.CANCEL
            and self._scheduler.answering(key)
        ):
            logger.info("the user typed stop: ending the answer in progress")
            await self._scheduler.stop(key, StopReason.STOP_COMMAND)
            await context.send_activity(STOPPED_REPLY)
            return
        await logic()
