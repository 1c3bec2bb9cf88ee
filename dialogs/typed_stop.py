"""A typed "stop" or "cancel" ends the answer in progress, as the Stop button does in Teams.

Web Chat and the Emulator have no Stop button. Without this, such a message would interrupt the
answer as any new message does, and then reach the dialogs as a command with nothing to cancel.
SDK-free: each host's middleware asks `stop_if_asked` first and confirms with `STOPPED_REPLY`.
"""

from __future__ import annotations

import logging
from typing import Protocol

from channels.conversations import ConversationActivity, conversation_key
from streaming import ConversationScheduler, StopReason

from .commands import Command, recognize_command

logger = logging.getLogger(__name__)

STOPPED_REPLY = "OK, I stopped."


class UserActivity(ConversationActivity, Protocol):
    """An activity of either SDK, as far as a typed stop is concerned."""

    @property
    def type(self) -> object: ...
    @property
    def text(self) -> str | None: ...


async def stop_if_asked(scheduler: ConversationScheduler, activity: UserActivity) -> bool:
    """End the answer in progress in `activity`'s conversation if `activity` asks to; True if it did.

    The answer keeps the text so far, marked as stopped, and its model request is closed, also when
    another instance gives it. With no answer in progress the message goes on (cancel then leaves a
    dialog in progress).
    """
    key = conversation_key(activity)
    if (
        activity.type != "message"
        or recognize_command(activity.text) is not Command.CANCEL
        or not await scheduler.answering_anywhere(key)
    ):
        return False
    logger.info("the user typed stop: ending the answer in progress")
    await scheduler.stop(key, StopReason.STOP_COMMAND)
    return True
