"""A typed "stop" or "cancel" ends the answer in progress, as the Stop button does in Teams.

The Agents SDK binding of `bots/typed_stop.py`: Web Chat and the Emulator have no Stop button, and
without this such a message would interrupt the answer as any new message does.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from microsoft_agents.activity import ActivityTypes
from microsoft_agents.hosting.core import TurnContext

from channels import conversation_key
from dialogs.commands import Command, recognize_command
from streaming import ConversationScheduler, StopReason

logger = logging.getLogger(__name__)

STOPPED_REPLY = "OK, I stopped."


class TypedStopMiddleware:
    """Stops the conversation's answer in progress on a stop or cancel command, and confirms it once.

    The answer keeps the text so far, marked as stopped, and its model request is closed. With no
    answer in progress the message goes on to the agent.
    """

    def __init__(self, scheduler: ConversationScheduler) -> None:
        self._scheduler = scheduler

    async def on_turn(self, context: TurnContext, logic: Callable[[TurnContext], Awaitable[None]]) -> None:
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
        await logic(context)
