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
from msrest.serialization import Model

from connector.serialization import model_json
from proactive import ConversationReferences, Reference

logger = logging.getLogger(__name__)

INSTALLED = frozenset({"add", "add-upgrade"})
UNINSTALLED = frozenset({"remove", "remove-upgrade"})
"""`installationUpdate` actions, read as botbuilder's `ActivityHandler` reads them."""


class ConversationReferenceMiddleware(Middleware):
    """Runs the turn, then has its conversation's reference kept (or dropped, when the bot leaves)
    in the background.

    The turn does not wait for the storage: the user's first sign of life comes first, and a storage
    failure there is logged (the next turn offers the reference again). A turn that fails still
    offers it: the conversation exists all the same.
    """

    def __init__(self, references: ConversationReferences) -> None:
        self._references = references

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        try:
            await logic()
        finally:
            self._track(context.activity)

    def _track(self, activity: Activity) -> None:
        if activity.conversation is None or not activity.conversation.id or _is_continuation(activity):
            return
        conversation_id = activity.conversation.id
        if _bot_removed(activity):
            logger.info("the bot left conversation %s: its reference is dropped", conversation_id)
            self._references.remove_soon(conversation_id)
            return
        self._references.keep(
            conversation_id,
            _identity(activity),
            lambda: _reference(activity),
            check_store=_bot_added(activity),
        )


def _identity(activity: Activity) -> tuple[object, ...]:
    """What the SDK builds the reference from, without building it: equal identities, equal references.

    The accounts' every attribute, not only their ids: a user's new name, the conversation's tenant
    (an additional property for msrest) also go into the reference.
    """
    return (
        activity.channel_id,
        activity.service_url,
        activity.locale,
        _attributes(activity.from_property),
        _attributes(activity.recipient),
        _attributes(activity.conversation),
    )


def _attributes(account: Model | None) -> tuple[tuple[str, object], ...] | None:
    return None if account is None else tuple(vars(account).items())


def _reference(activity: Activity) -> Reference:
    reference: Reference = model_json(TurnContext.get_conversation_reference(activity))
    reference.pop("activityId", None)
    return reference


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
