"""Group conversations: the bot answers only messages that @mention it, with the mention removed.

`TurnContext.remove_recipient_mention` (botbuilder-core 4.17.1) is not used: it raises when the
activity has no recipient, reads only entities that came from JSON, and uses the mention's text
as a regular expression (a name with "(" or "+" in it breaks it). These helpers read mentions
from JSON-born entities, `Mention` objects and plain dicts alike, and remove the text literally.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from botbuilder.core import Middleware, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, Mention

from channels import is_group_conversation


def _field(value: Any, name: str) -> Any:
    if isinstance(value, dict):
        return value.get(name)
    return getattr(value, name, None)


def _recipient_mentions(activity: Activity) -> Iterator[tuple[str | None, str | None]]:
    """(text, name) of each mention entity that mentions the activity's recipient (the bot)."""
    recipient_id = activity.recipient.id if activity.recipient else None
    if not recipient_id:
        return
    for entity in activity.entities or []:
        if (_field(entity, "type") or "").lower() != "mention":
            continue
        # An entity read from JSON keeps the mention's fields in `additional_properties`.
        fields = (
            entity if isinstance(entity, dict | Mention) else getattr(entity, "additional_properties", {})
        )
        mentioned: ChannelAccount | dict[str, Any] | None = _field(fields, "mentioned")
        if mentioned is not None and _field(mentioned, "id") == recipient_id:
            yield _field(fields, "text"), _field(mentioned, "name")


def mentions_recipient(activity: Activity) -> bool:
    """Whether the message @mentions its recipient, the bot."""
    return any(True for _ in _recipient_mentions(activity))


def remove_recipient_mention(activity: Activity) -> str:
    """The message's text without the bot's @mention(s), trimmed."""
    text = activity.text or ""
    for mention_text, name in _recipient_mentions(activity):
        if mention_text:
            text = text.replace(mention_text, " ")
        if name:  # Also "<at>Name</at>" when the entity carries no text, or a different form of it.
            text = re.sub(rf"<at[^>]*>\s*{re.escape(name)}\s*</at>", " ", text, flags=re.IGNORECASE)
    return re.sub(r"[ \t\u00a0]{2,}", " ", text).strip()


class GroupMentionMiddleware(Middleware):
    """In group conversations, lets through only messages that @mention the bot, mention removed.

    A message that does not mention the bot ends the turn here: no reply, nothing loaded or saved,
    and the bot's answer in progress (if any) is not interrupted. Add it before the middleware that
    orders a conversation's turns. Personal chats and other activities pass unchanged.
    """

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        activity = context.activity
        if activity.type == ActivityTypes.message and is_group_conversation(activity):
            if not mentions_recipient(activity):
                return
            activity.text = remove_recipient_mention(activity)
        await logic()
