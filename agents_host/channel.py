"""The streaming engine's channel port on the Agents SDK: `Outgoing` in, the SDK's activity out.

An answer's marks become the schema.org `Message` entity and `channelData.feedbackLoop` (see
`streaming.answer_marks`), next to the stream fields, as on botbuilder (`channels/turn_context_port.py`).

The SDK's connector client raises `aiohttp.ClientResponseError` for an HTTP error: the status in
`.status`, the raw response body in `.message` (the Bot Connector's `{"error": {"code", "message"}}`
JSON, or the reason phrase when the body is empty) and the response headers, Retry-After among
them, in `.headers`. Other `aiohttp` errors are connection failures. Both become the engine's
`SendError` here.
"""

from __future__ import annotations

import json
from typing import Self

import aiohttp
from microsoft_agents.activity import Activity, ChannelId, DeliveryModes, Entity, TextFormatTypes
from microsoft_agents.activity import StreamInfo as StreamInfoEntity
from microsoft_agents.hosting.core import TurnContext
from pydantic import PrivateAttr, model_serializer

from channels.conversations import is_group_conversation
from streaming import ConversationFacts, Outgoing, SendError, SendFailure
from streaming.answer_marks import CitationStyle, citation_style, feedback_channel_data, message_entity
from streaming.send_errors import failure_for, retry_after_seconds
from streaming.stream_fields import teams_entity, web_chat_channel_data


class AgentsChannel:
    """Sends the engine's activities as replies in `context`'s conversation."""

    def __init__(self, context: TurnContext) -> None:
        self._context = context
        self._citations = citation_style(channel_of(context.activity))

    async def send(self, activity: Outgoing) -> str | None:
        try:
            response = await self._context.send_activity(to_activity(activity, self._citations))
        except aiohttp.ClientResponseError as error:
            raise send_error(error) from error
        except (TimeoutError, aiohttp.ClientError, ConnectionError) as error:
            raise SendError(SendFailure.TRANSIENT, None, f"{type(error).__name__}: {error}") from error
        # An accepted stream update (202 with `{}`) has no id: the SDK returns ResourceResponse(id=None).
        return response.id


class MessageEntity(Entity):
    """The schema.org `Message` entity (AI label, citations, sensitivity label) on the wire exactly as
    `answer_marks.message_entity` renders it.

    The SDK's `Entity`, and its own `AIEntity`, would also write our `"@id": ""` as an extra `atId`
    field, which Teams' and the Playground's strict validation of this entity does not expect.
    """

    _fields: dict[str, object] = PrivateAttr(default_factory=dict)

    @classmethod
    def of(cls, fields: dict[str, object]) -> Self:
        """The entity for `fields`, a rendered `Message` entity."""
        entity = cls(type=str(fields["type"]))
        entity._fields = dict(fields)
        return entity

    @model_serializer(mode="plain")
    def _serialize_model(self) -> dict[str, object]:  # replaces `Entity`'s serializer of that name
        return dict(self._fields)


def to_activity(outgoing: Outgoing, citations: CitationStyle) -> Activity:
    """The SDK activity for `outgoing`: stream fields in a `streaminfo` entity and in `channelData`,
    marks as a `Message` entity and `channelData.feedbackLoop`; `citations` is how the client
    shows citations."""
    activity = Activity(type=outgoing.kind)
    if outgoing.text is not None:
        activity.text = outgoing.text
    if outgoing.kind == "message":
        activity.text_format = TextFormatTypes.markdown
    # Only the fields set here reach the wire: the SDK serializes activities with exclude_unset.
    entities: list[Entity] = []
    channel_data: dict[str, object] = {}
    if outgoing.stream is not None:
        entities.append(StreamInfoEntity.model_validate(teams_entity(outgoing.stream)))
        channel_data.update(web_chat_channel_data(outgoing.stream))
    marks = outgoing.marks
    if marks is not None:
        message = message_entity(marks, outgoing.text or "", citations)
        if message is not None:
            entities.append(MessageEntity.of(message))
        channel_data.update(feedback_channel_data(marks))
    if entities:
        activity.entities = entities
    if channel_data:
        activity.channel_data = channel_data
    return activity


def channel_of(activity: Activity) -> str:
    """The activity's channel: a Teams sub-channel (`msteams:COPILOT`) is its channel, `msteams`."""
    return ChannelId.get_channel(activity.channel_id) or ""


def conversation_facts(activity: Activity) -> ConversationFacts:
    """What the engine needs to know about `activity`'s conversation to plan the answer.

    A Teams sub-channel (`msteams:COPILOT`) is planned as its channel, `msteams`.
    """
    conversation = activity.conversation
    channel_id = channel_of(activity)
    return ConversationFacts(
        channel_id=channel_id,
        conversation_type=conversation.conversation_type if conversation else None,
        expect_replies=activity.delivery_mode == DeliveryModes.expect_replies,
        group=is_group_conversation(activity),
        citation_style=citation_style(channel_id),
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
