"""Keeps each conversation's reference for notifications, as turns come (see proactive/references.py).

Every turn from the channel offers its conversation's reference, as the SDK builds it from the
activity, less the activity's id (it names one message, not the conversation). The bot's install
(`installationUpdate` add) and welcome (`conversationUpdate` with members added) check it against
the storage; its removal (`installationUpdate` remove, or `conversationUpdate` with the bot among
the members removed) drops it. The bot's own continuation turns (answers, notifications) are not
turns from the channel and change nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from botbuilder.core import Middleware, TurnContext
from botbuilder.schema import Activity, ActivityEventNames, ActivityTypes

from proactive import ConversationReferences
from storage import StorageConflictError, StorageUnavailableError

logger = logging.getLogger(__name__)

INSTALLED = frozenset({"add", "add-upgrade"})
UNINSTALLED = frozenset({"remove", "remove-upgrade"})
"""`installationUpdate` actions, read as botbuilder's `ActivityHandler` reads them."""


class ConversationReferenceMiddleware(Middleware):
    """Saves the turn's conversation reference before the turn runs; drops it when the bot leaves.

    A storage failure here is logged and the turn goes on: the user's message matters more than
    a later notification, and the next turn offers the reference again.
    """

    def __init__(self, references: ConversationReferences) -> None:
        self._references = references

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        try:
            await self._track(context.activity)
        except (StorageUnavailableError, StorageConflictError) as error:
            logger.warning("could not keep the conversation's reference: %s", error)
        await logic()

    async def _track(self, activity: Activity) -> None:
        if activity.conversation is None or not activity.conversation.id or _is_continuation(activity):
            return
        conversation_id = activity.conversation.id
        if _bot_removed(activity):
            logger.info("the bot left conversation %s: its reference is dropped", conversation_id)
            await self._references.remove(conversation_id)
            return
        reference = TurnContext.get_conversation_reference(activity).serialize()
        reference.pop("activityId", None)
        await self._references.keep(conversation_id, reference, check_store=_bot_added(activity))


def _is_continuation(activity: Activity) -> bool:
    return activity.type == ActivityTypes.event and activity.name == ActivityEventNames.continue_conversation


def _bot_removed(activity: Activity) -> bool:
    if activity.type == ActivityTypes.installation_update:
        return activity.action in UNINSTALLED
    bot_id = activity.recipient.id if activity.recipient else None
    return (
        activity.type == ActivityTypes.conversation_update
        and bot_id is not None
        and any(member.id == bot_id for member in activity.members_removed or [])
    )


def _bot_added(activity: Activity) -> bool:
    if activity.type == ActivityTypes.installation_update:
        return activity.action in INSTALLED
    return activity.type == ActivityTypes.conversation_update and bool(activity.members_added)
