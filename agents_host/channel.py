"""The Agents SDK binding of the channel port: `Outgoing` in, the SDK's activity out, its errors classified.

The SDK's connector client raises `aiohttp.ClientResponseError` for an HTTP error: the status in
`.status`, the raw response body in `.message` (the Bot Connector's `{"error": {"code", "message"}}`
JSON, or the reason phrase when the body is empty) and the response headers, Retry-After among
them, in `.headers`. Other `aiohttp` errors are connection failures.
"""

from __future__ import annotations

import json

import aiohttp
from microsoft_agents.activity import (
    Activity,
    ChannelId,
    DeliveryModes,
    TextFormatTypes,
)
from microsoft_agents.activity import (
    StreamInfo as StreamInfoEntity,
)
from microsoft_agents.hosting.core import TurnContext

from .port_stand_in import (
    ConversationFacts,
    Outgoing,
    SendError,
    SendFailure,
    StreamInfo,
    failure_for,
    retry_after_seconds,
)


class AgentsChannel:
    """The channel port over one Agents SDK turn."""

    def __init__(self, context: TurnContext) -> None:
        self._context = context

    async def send(self, activity: Outgoing) -> str | None:
        """Send `activity`; the id the channel gave it (a stream's id on its first send), None if none."""
        try:
            response = await self._context.send_activity(to_activity(activity))
        except aiohttp.ClientResponseError as error:
            raise send_error(error) from error
        except (TimeoutError, aiohttp.ClientError, ConnectionError) as error:
            raise SendError(SendFailure.TRANSIENT, None, f"{type(error).__name__}: {error}") from error
        # An accepted stream update (202 with `{}`) has no id: the SDK returns ResourceResponse(id=None).
        return response.id


def to_activity(outgoing: Outgoing) -> Activity:
    """The SDK activity for `outgoing`: stream info both as a `streaminfo` entity and in channelData."""
    activity = Activity(type=outgoing.kind)
    if outgoing.text is not None:
        activity.text = outgoing.text
    if outgoing.kind == "message":
        activity.text_format = TextFormatTypes.markdown
    if outgoing.stream is not None:
        fields = _stream_fields(outgoing.stream)
        # Only the fields set here reach the wire: the SDK serializes activities with exclude_unset.
        activity.entities = [StreamInfoEntity.model_validate(fields)]
        activity.channel_data = fields
    return activity


def _stream_fields(info: StreamInfo) -> dict[str, object]:
    """The stream fields by their wire names, leaving out those the send has no value for."""
    fields: dict[str, object] = {"streamType": info.stream_type}
    if info.stream_id is not None:
        fields["streamId"] = info.stream_id
    if info.sequence is not None:
        fields["streamSequence"] = info.sequence
    return fields


def facts(activity: Activity) -> ConversationFacts:
    """What delivery planning needs to know about the conversation of `activity`."""
    conversation = activity.conversation
    return ConversationFacts(
        channel_id=ChannelId.get_channel(activity.channel_id) or "",
        conversation_type=conversation.conversation_type if conversation else None,
        expect_replies=activity.delivery_mode == DeliveryModes.expect_replies,
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
