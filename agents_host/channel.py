"""The streaming engine's channel port on the Agents SDK: `Outgoing` in, the SDK's activity out.

The SDK's connector client raises `aiohttp.ClientResponseError` for an HTTP error: the status in
`.status`, the raw response body in `.message` (the Bot Connector's `{"error": {"code", "message"}}`
JSON, or the reason phrase when the body is empty) and the response headers, Retry-After among
them, in `.headers`. Other `aiohttp` errors are connection failures. Both become the engine's
`SendError` here.
"""

from __future__ import annotations

import json

import aiohttp
from microsoft_agents.activity import Activity, ChannelId, DeliveryModes, TextFormatTypes
from microsoft_agents.activity import StreamInfo as StreamInfoEntity
from microsoft_agents.hosting.core import TurnContext

from channels.conversations import is_group_conversation
from streaming import ConversationFacts, Outgoing, SendError, SendFailure
from streaming.send_errors import failure_for, retry_after_seconds
from streaming.stream_fields import teams_entity, web_chat_channel_data


class AgentsChannel:
    """Sends the engine's activities as replies in `context`'s conversation."""

    def __init__(self, context: TurnContext) -> None:
        self._context = context

    async def send(self, activity: Outgoing) -> str | None:
        try:
            response = await self._context.send_activity(to_activity(activity))
        except aiohttp.ClientResponseError as error:
            raise send_error(error) from error
        except (TimeoutError, aiohttp.ClientError, ConnectionError) as error:
            raise SendError(SendFailure.TRANSIENT, None, f"{type(error).__name__}: {error}") from error
        # An accepted stream update (202 with `{}`) has no id: the SDK returns ResourceResponse(id=None).
        return response.id


def to_activity(outgoing: Outgoing) -> Activity:
    """The SDK activity for `outgoing`, stream fields in a `streaminfo` entity and in `channelData`."""
    activity = Activity(type=outgoing.kind)
    if outgoing.text is not None:
        activity.text = outgoing.text
    if outgoing.kind == "message":
        activity.text_format = TextFormatTypes.markdown
    if outgoing.stream is not None:
        # Only the fields set here reach the wire: the SDK serializes activities with exclude_unset.
        activity.entities = [StreamInfoEntity.model_validate(teams_entity(outgoing.stream))]
        activity.channel_data = web_chat_channel_data(outgoing.stream)
    return activity


def conversation_facts(activity: Activity) -> ConversationFacts:
    """What the engine needs to know about `activity`'s conversation to plan the answer.

    A Teams sub-channel (`msteams:COPILOT`) is planned as its channel, `msteams`.
    """
    conversation = activity.conversation
    return ConversationFacts(
        channel_id=ChannelId.get_channel(activity.channel_id) or "",
        conversation_type=conversation.conversation_type if conversation else None,
        expect_replies=activity.delivery_mode == DeliveryModes.expect_replies,
        group=is_group_conversation(activity),
    )


def send_error(error: aiohttp.ClientResponseError) -> SendError:
    """The `SendError` for an HTTP error the SDK's connector client raised."""
    code, message = _error_body(error.message)
    retry_after = retry_after_seconds(error.headers.get("Retry-After") if error.headers else None)
    return SendError(failure_for(error.status, code, message), error.status, message, retry_after)


def _error_body(body: str) -> tuple[str, str]:
    """(code, message) of a Bot Connector error body; ("", the text) for any other body."""
    try:
        error = json.loads(body).get("error") or {}
        return str(error.get("code") or ""), str(error.get("message") or body)
    except (ValueError, AttributeError):
        return "", body
