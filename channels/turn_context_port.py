"""The streaming engine's channel port on botbuilder: activities out through a `TurnContext`.

An answer's marks become the schema.org `Message` entity and `channelData.feedbackLoop` (see
`streaming.answer_marks`), next to the stream fields.

botbuilder-python 4.17.1 raises `ErrorResponseException` for HTTP errors (status in
`e.response.status_code`, code and message in `e.error.error`) and other exceptions for
connection failures; they become the engine's `SendError` here.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

import aiohttp
from botbuilder.core import TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    DeliveryModes,
    Entity,
    ErrorResponseException,
    TextFormatTypes,
)
from msrest.exceptions import ClientRequestError

from streaming.answer_marks import CitationStyle, citation_style, feedback_channel_data, message_entity
from streaming.channel import ConversationFacts, Outgoing, StreamType
from streaming.send_errors import SendError, SendFailure, failure_for, retry_after_seconds
from streaming.stream_fields import teams_entity, web_chat_channel_data

from .conversations import is_group_conversation


class StreamInfoEntity(Entity):
    """A `streaminfo` entity that keeps its fields on the wire.

    botbuilder-schema's `Entity` serializes only `type` (msrest writes what `_attribute_map`
    lists), so a plain `Entity` or dict loses the stream fields and Teams rejects the activity.
    """

    _attribute_map: ClassVar[dict[str, dict[str, str]]] = {
        "type": {"key": "type", "type": "str"},
        "stream_id": {"key": "streamId", "type": "str"},
        "stream_type": {"key": "streamType", "type": "str"},
        "stream_sequence": {"key": "streamSequence", "type": "int"},
    }

    def __init__(
        self,
        *,
        stream_type: StreamType,
        stream_id: str | None = None,
        stream_sequence: int | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(type="streaminfo", **kwargs)
        self.stream_id = stream_id
        self.stream_type = stream_type
        self.stream_sequence = stream_sequence


class MessageEntity(Entity):
    """The schema.org `Message` entity (AI label, citations, sensitivity label), kept whole on the
    wire like `StreamInfoEntity`; built from `answer_marks.message_entity`'s dict."""

    _attribute_map: ClassVar[dict[str, dict[str, str]]] = {
        "type": {"key": "type", "type": "str"},
        "schema_type": {"key": "@type", "type": "str"},
        "schema_context": {"key": "@context", "type": "str"},
        "schema_id": {"key": "@id", "type": "str"},
        "additional_type": {"key": "additionalType", "type": "[str]"},
        "citation": {"key": "citation", "type": "[object]"},
        "usage_info": {"key": "usageInfo", "type": "object"},
    }

    def __init__(self, fields: dict[str, object], **kwargs: object) -> None:
        super().__init__(type=fields["type"], **kwargs)
        for attribute, spec in self._attribute_map.items():
            setattr(self, attribute, fields.get(spec["key"]))


class OneSendActivity(Activity):
    """An activity built for a single send, which nothing holds on to afterwards.

    `TurnContext.send_activities` deep-copies every activity before it fills in the conversation's
    fields, so that the caller's stays as it was: for the engine's activities, built for that send
    and dropped after it, the copy is waste (it cost more than building and serializing them), so
    the copy is the activity itself.
    """

    def __deepcopy__(self, memo: dict[int, object]) -> OneSendActivity:
        return self


def to_activity(outgoing: Outgoing, citations: CitationStyle) -> Activity:
    """The botbuilder `Activity` for `outgoing`, for one send: stream fields in an entity and in
    `channelData`, marks as a `Message` entity and `channelData.feedbackLoop`; `citations` is how the
    client shows citations."""
    if outgoing.kind == "message":
        activity = OneSendActivity(
            type=ActivityTypes.message, text=outgoing.text, text_format=TextFormatTypes.markdown
        )
    else:
        activity = OneSendActivity(type=ActivityTypes.typing, text=outgoing.text)
    entities: list[Entity] = []
    channel_data: dict[str, object] = {}
    info = outgoing.stream
    if info is not None:
        entity = teams_entity(info)
        entities.append(
            StreamInfoEntity(
                stream_type=info.stream_type,
                stream_id=entity.get("streamId"),
                stream_sequence=entity.get("streamSequence"),
            )
        )
        channel_data.update(web_chat_channel_data(info))
    marks = outgoing.marks
    if marks is not None:
        message = message_entity(marks, outgoing.text or "", citations)
        if message is not None:
            entities.append(MessageEntity(message))
        channel_data.update(feedback_channel_data(marks))
    if entities:
        activity.entities = entities
    if channel_data:
        activity.channel_data = channel_data
    return activity


def send_error(error: BaseException) -> SendError | None:
    """The `SendError` for an exception raised by a send, or None if it is not a send failure."""
    if isinstance(error, SendError):
        return error
    if isinstance(error, ErrorResponseException):
        status = error.response.status_code if error.response is not None else None
        body = getattr(error.error, "error", None)
        code = getattr(body, "code", None) or ""
        message = getattr(body, "message", None) or str(error)
        headers = error.response.headers if error.response is not None else {}
        retry_after = retry_after_seconds(headers.get("Retry-After") if hasattr(headers, "get") else None)
        return SendError(failure_for(status, code, message), status, message, retry_after)
    if isinstance(error, (ClientRequestError, aiohttp.ClientError, ConnectionError, asyncio.TimeoutError)):
        return SendError(SendFailure.TRANSIENT, None, f"{type(error).__name__}: {error}")
    return None


class TurnContextChannel:
    """Sends the engine's activities as replies in `context`'s conversation."""

    def __init__(self, context: TurnContext) -> None:
        self._context = context
        self._citations = citation_style(context.activity.channel_id or "")

    async def send(self, activity: Outgoing) -> str | None:
        try:
            response = await self._context.send_activity(to_activity(activity, self._citations))
        except Exception as exc:
            error = send_error(exc)
            if error is None:
                raise
            raise error from exc
        return response.id if response is not None else None


def conversation_facts(activity: Activity) -> ConversationFacts:
    """What the engine needs to know about `activity`'s conversation to plan the answer."""
    channel_id = activity.channel_id or ""
    return ConversationFacts(
        channel_id=channel_id,
        conversation_type=activity.conversation.conversation_type if activity.conversation else None,
        expect_replies=activity.delivery_mode == DeliveryModes.expect_replies,
        group=is_group_conversation(activity),
        citation_style=citation_style(channel_id),
    )
