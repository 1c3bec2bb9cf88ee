"""What happens when a turn raises: log it for the operator, tell the user briefly.

SDK-free: both hosts' adapters take `on_turn_error` as their `on_turn_error`.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from storage import StorageUnavailableError

logger = logging.getLogger(__name__)

ERROR_REPLY = "Sorry, something went wrong on my side. Please try again."
STORAGE_UNAVAILABLE_REPLY = (
    "Sorry, I can't reach my memory of our conversation right now. Please try again in a minute."
)


class FailedTurn(Protocol):
    """A turn of either SDK (botbuilder's or the Agents SDK's `TurnContext`): its activity, and a reply."""

    @property
    def activity(self) -> Any: ...

    async def send_activity(self, activity_or_text: str, /) -> Any: ...


async def on_turn_error(context: FailedTurn, error: Exception) -> None:
    """The adapter's error handler: never raises, so the channel never sees a 5xx from a turn.

    A 5xx would make Teams send the user's message again, and the user would get a second answer.
    """
    activity = context.activity
    logger.error(
        "turn failed: activity %s in conversation %s on %s",
        activity.id,
        activity.conversation.id if activity.conversation else None,
        activity.channel_id,
        exc_info=error,
    )
    reply = STORAGE_UNAVAILABLE_REPLY if isinstance(error, StorageUnavailableError) else ERROR_REPLY
    try:
        await context.send_activity(reply)
    except Exception:
        logger.warning("could not tell the user about the failed turn", exc_info=True)
