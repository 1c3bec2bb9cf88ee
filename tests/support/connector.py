"""A local Bot Connector that answers the bot the way Teams does, and records everything.

It enforces the documented stream rules (sequence numbers, cumulative text, one request a second
per stream, the time and size limits, Stop, nothing after the final) and the AI fields' rules (one
schema.org `Message` entity, validated as strictly as the Microsoft 365 Agents Playground does,
within Teams' documented limits; `channelData.feedbackLoop`), injects scripted faults, and
rebuilds what the user ends up seeing. Rule breaks are answered like Teams answers them and also
listed in `protocol_errors`, which every test expects to stay empty.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Received:
    """One activity the bot sent, when it arrived (time.monotonic) and what it was answered."""

    method: str
    path: str
    activity: dict[str, Any]
    received_at: float
    status: int = 0
    reply_id: str | None = None
    authorization: str | None = None
    """The request's Authorization header: how the bot proved who it is."""

    @property
    def stream_info(self) -> dict[str, Any] | None:
        """The activity's `streaminfo` entity, if it has one."""
        for entity in self.activity.get("entities") or []:
            if entity.get("type") == "streaminfo":
                return entity
        return None

    @property
    def message_entity(self) -> dict[str, Any] | None:
        """The activity's schema.org `Message` entity (the AI label, citations), if it has one."""
        return next(iter(message_entities(self.activity)), None)

    @property
    def stream_channel_data(self) -> dict[str, Any]:
        """The stream fields of the activity's `channelData` (what Web Chat reads)."""
        return stream_channel_data(self.activity)

    @property
    def feedback_loop(self) -> str | None:
        """The feedback buttons the activity asks for: "default", "custom", or None."""
        return ((self.activity.get("channelData") or {}).get("feedbackLoop") or {}).get("type")

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class Fault:
    """Answer the next `times` activities that `matches` with an error instead."""

    matches: Callable[[Received], bool]
    status: int
    message: str = "injected by the test"
    code: str = "InjectedFailure"
    retry_after: float | None = None
    times: int = 1
    bare: bool = False
    """Answer with an empty body, as gateways and proxies do, instead of an ErrorResponse."""


@dataclass
class _Stream:
    id: str
    started_at: float
    last_request_at: float
    sequence: int = 1
    text: str = ""
    accepted_requests: int = 1
    ended: bool = False
    cancelled: bool = False


STREAM_FIELDS = frozenset({"streamId", "streamType", "streamSequence"})
MESSAGE_ENTITY = "https://schema.org/Message"
_MARKER = re.compile(r"\[(\d+)\]")


def stream_channel_data(activity: dict[str, Any]) -> dict[str, Any]:
    """The stream fields of an activity's `channelData`, without the feedback and other fields."""
    return {k: v for k, v in (activity.get("channelData") or {}).items() if k in STREAM_FIELDS}


def message_entities(activity: dict[str, Any]) -> list[dict[str, Any]]:
    return [entity for entity in activity.get("entities") or [] if entity.get("type") == MESSAGE_ENTITY]


def ai_field_problems(activity: dict[str, Any]) -> list[str]:
    """What Teams or the Playground would refuse (400) in an activity's AI fields.

    The Playground (0.2.28) validates a `Message` entity with a schema: `additionalType` exactly
    ["AIGeneratedContent"]; at most 10 citations, each with a positive position and an appearance
    with `name` and `abstract` strings, at most 3 keywords; `usageInfo` with a `name`. Teams allows
    one such entity per message, names up to 80 characters, abstracts up to 160, keywords up to 28,
    and its citations are the `[n]` markers of the text. Feedback is `{"type": "default"|"custom"}`.
    """
    problems: list[str] = []
    entities = message_entities(activity)
    if len(entities) > 1:
        problems.append(f"{len(entities)} Message entities (Teams allows one)")
    for entity in entities:
        problems += _entity_problems(entity, activity.get("text") or "")
    feedback = (activity.get("channelData") or {}).get("feedbackLoop")
    if feedback is not None and (activity.get("type") != "message" or feedback not in _FEEDBACK_LOOPS):
        problems.append(f"bad feedbackLoop {feedback!r} on a {activity.get('type')}")
    return problems


_FEEDBACK_LOOPS = ({"type": "default"}, {"type": "custom"})


def _entity_problems(entity: dict[str, Any], text: str) -> list[str]:
    problems: list[str] = []
    schema = (entity.get("@type"), entity.get("@context"), entity.get("@id"))
    if schema != ("Message", "https://schema.org", ""):
        problems.append(f"Message entity without its schema.org fields: {schema}")
    if "additionalType" in entity and entity["additionalType"] != ["AIGeneratedContent"]:
        problems.append(f"additionalType must be ['AIGeneratedContent'], got {entity['additionalType']!r}")
    citations = entity.get("citation", [])
    if not isinstance(citations, list) or len(citations) > 10:
        return [*problems, f"citation must be a list of at most 10, got {citations!r}"]
    markers = {int(number) for number in _MARKER.findall(text)}
    positions = [claim.get("position") for claim in citations]
    if len(set(positions)) != len(positions):
        problems.append(f"citation positions repeat: {positions}")
    for claim in citations:
        problems += _claim_problems(claim, markers)
    usage = entity.get("usageInfo")
    if usage is not None and not (isinstance(usage, dict) and isinstance(usage.get("name"), str)):
        problems.append(f"usageInfo without a name: {usage!r}")
    return problems


def _claim_problems(claim: dict[str, Any], markers: set[int]) -> list[str]:
    position = claim.get("position")
    appearance = claim.get("appearance") or {}
    problems: list[str] = []
    if claim.get("@type") != "Claim" or appearance.get("@type") != "DigitalDocument":
        problems.append(f"not a Claim of a DigitalDocument: {claim!r}")
    if not isinstance(position, int) or position < 1:
        problems.append(f"citation position must be a positive number: {claim!r}")
    elif position not in markers:
        problems.append(f"citation {position} has no [{position}] marker in the text")
    for field_name, limit in (("name", 80), ("abstract", 160)):
        value = appearance.get(field_name)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"MissingProperty: citation {position} has no {field_name}")
        elif _utf16(value) > limit:
            problems.append(f"citation {position}'s {field_name} is over {limit} characters")
    keywords = appearance.get("keywords", [])
    if len(keywords) > 3 or any(not isinstance(word, str) or _utf16(word) > 28 for word in keywords):
        problems.append(f"citation {position}'s keywords break the limits: {keywords!r}")
    if "url" in appearance and not str(appearance["url"]).startswith(("https://", "http://")):
        problems.append(f"citation {position}'s url is not a URL: {appearance['url']!r}")
    return problems


def web_chat_fields(info: dict[str, Any]) -> dict[str, Any]:
    """The `channelData` a stream activity must carry for Web Chat, given its `streaminfo` entity.

    The entity's fields with the same values, except a stream's first activity (no streamId yet),
    which leaves out its streamSequence: with it, Web Chat 4.18.1 sorts that activity beside the
    previous stream's first one, under the conversation's first question (see streaming/entities.py).
    """
    fields = {key: value for key, value in info.items() if key != "type"}
    if "streamId" not in fields:
        fields.pop("streamSequence", None)
    return fields


def is_stream_update(item: Received) -> bool:
    info = item.stream_info
    return bool(info and info.get("streamType") == "streaming")


def is_final(item: Received) -> bool:
    info = item.stream_info
    return bool(info and info.get("streamType") == "final")


def is_message(item: Received) -> bool:
    return item.activity.get("type") == "message" and not item.stream_info


@dataclass
class RecordingConnector:
    """The connector; its settings are the Teams limits and behaviours a test wants to apply."""

    rate_limit_interval: float | None = None
    """Answer 429 to a stream request that comes sooner than this after the stream's previous one."""
    conversation_rate_limit_interval: float | None = None
    """Answer 429 to a stream request (a start or a final too) that comes sooner than this after the
    conversation's previous stream request: the strict reading of Teams' one request a second."""
    stop_after_requests: int | None = None
    """Act as if the user pressed Stop once a stream has accepted this many requests (its start too)."""
    stream_time_limit: float | None = None
    max_text_utf16: int | None = None
    refuse_streaming: bool = False
    """Answer stream sends like a group chat does (405 Method Not Allowed)."""
    response_delay: float = 0.0
    hold: asyncio.Event | None = None
    """Take no activity until this is set: the bot's sends wait, and with them the turns that make
    them (a test checks what the bot does meanwhile); `held` counts the sends waiting."""
    held: int = 0
    faults: list[Fault] = field(default_factory=list)

    received: list[Received] = field(default_factory=list)
    protocol_errors: list[str] = field(default_factory=list)
    url: str = ""
    _streams: dict[str, _Stream] = field(default_factory=dict)
    _last_stream_request: dict[str, float] = field(default_factory=dict)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def app(self) -> web.Application:
        app = web.Application()
        activities = "/v3/conversations/{conversation_id}/activities"
        app.router.add_post(activities, self._on_activity)
        app.router.add_post(activities + "/{activity_id}", self._on_activity)
        app.router.add_put(activities + "/{activity_id}", self._on_activity)
        return app

    def accepted(self) -> list[Received]:
        return [item for item in self.received if item.accepted]

    def bubbles(self, conversation_id: str | None = None) -> list[str]:
        """What the user sees, bubble by bubble: each stream's final text (or its last text if it
        never got a final), and each message; only in `conversation_id`, if given."""
        shown: dict[str, str] = {}
        for item in self.accepted():
            if conversation_id is not None and item.path.split("/")[3] != conversation_id:
                continue
            info = item.stream_info
            if info and info.get("streamType") == "informative":
                continue
            if info:
                shown[info.get("streamId") or item.reply_id or ""] = item.activity.get("text", "")
            elif item.activity.get("type") == "message":
                shown[item.reply_id or ""] = item.activity.get("text", "")
        return list(shown.values())

    def throttled(self) -> list[Received]:
        """What the connector answered with 429 (too many requests)."""
        return [item for item in self.received if item.status == 429]

    def overlapping_streams(self) -> list[str]:
        """Streams that started in a conversation while another stream there was still open (Teams
        allows one stream per chat): one description each; empty when streams took turns."""
        open_streams: dict[str, str] = {}
        overlaps: list[str] = []
        for item in self.accepted():
            info = item.stream_info
            if info is None:
                continue
            conversation = item.path.split("/")[3]
            if "streamId" not in info:
                if conversation in open_streams:
                    still_open = open_streams[conversation]
                    overlaps.append(
                        f"stream {item.reply_id} started in {conversation} while {still_open} was open"
                    )
                open_streams[conversation] = item.reply_id or ""
            elif info.get("streamType") == "final" and open_streams.get(conversation) == info["streamId"]:
                del open_streams[conversation]
        return overlaps

    async def wait_until(self, condition: Callable[[], bool], within: float = 20.0) -> None:
        """Wait until `condition()` holds, re-checked after every request (and each one held)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(condition), within)

    async def wait_for_answers(self, count: int = 1, within: float = 20.0) -> list[str]:
        """Wait until `count` answers have been completed (finals or messages); return the bubbles."""

        def done() -> bool:
            return sum(1 for item in self.accepted() if is_final(item) or is_message(item)) >= count

        await self.wait_until(done, within)
        return self.bubbles()

    async def _on_activity(self, request: web.Request) -> web.Response:
        if self.hold is not None and not self.hold.is_set():
            async with self._changed:
                self.held += 1
                self._changed.notify_all()
            await self.hold.wait()
            self.held -= 1
        item = Received(request.method, request.path, await request.json(), time.monotonic())
        item.authorization = request.headers.get("Authorization")
        if self.response_delay:
            await asyncio.sleep(self.response_delay)
        status, body, headers = self._answer(item)
        item.status = status
        async with self._changed:
            self.received.append(item)
            self._changed.notify_all()
        if body is None:
            return web.Response(status=status, headers=headers)
        return web.json_response(body, status=status, headers=headers)

    def _answer(self, item: Received) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
        for fault in self.faults:
            if fault.times > 0 and fault.matches(item):
                fault.times -= 1
                headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
                return fault.status, None if fault.bare else _error(fault.code, fault.message), headers
        problems = ai_field_problems(item.activity)
        if problems:
            self.protocol_errors += problems
            return 400, _error("BadArgument", "; ".join(problems)), {}
        info = item.stream_info
        if info is None:
            return self._plain(item)
        if self.refuse_streaming:
            return 405, _error("BadArgument", "Method Not Allowed"), {}
        conversation = item.path.split("/")[3]
        previous = self._last_stream_request.get(conversation)
        self._last_stream_request[conversation] = item.received_at
        interval = self.conversation_rate_limit_interval
        if interval is not None and previous is not None and item.received_at - previous < interval:
            return 429, _error("Throttled", "Too many requests"), {"Retry-After": "1"}
        return self._stream(item, info)

    def _plain(self, item: Received) -> tuple[int, dict[str, Any], dict[str, str]]:
        text = item.activity.get("text") or ""
        if self.max_text_utf16 is not None and _utf16(text) > self.max_text_utf16:
            return 413, _error("MessageSizeTooBig", "Activity body too large"), {}
        item.reply_id = uuid.uuid4().hex
        return 201, {"id": item.reply_id}, {}

    def _stream(self, item: Received, info: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        now = item.received_at
        text = item.activity.get("text") or ""
        stream_type = info.get("streamType")
        stream_id = info.get("streamId")
        if item.stream_channel_data != web_chat_fields(info):
            self.protocol_errors.append(f"channelData does not match the entity: {info} / {item.activity}")
        if stream_type not in ("informative", "streaming", "final"):
            return 400, _error("BadSyntax", f"unknown streamType {stream_type!r}"), {}

        if stream_id is None:
            if stream_type == "final" or info.get("streamSequence") != 1 or not text:
                self.protocol_errors.append(f"bad stream start: {info} text={text!r}")
                return 400, _error("BadArgument", "Start streaming activities should include text"), {}
            stream = _Stream(uuid.uuid4().hex, now, now, text=text if stream_type == "streaming" else "")
            self._streams[stream.id] = stream
            self._maybe_stop(stream)
            item.reply_id = stream.id
            return 201, {"id": stream.id}, {}

        stream = self._streams.get(stream_id)
        if stream is None:
            self.protocol_errors.append(f"unknown streamId {stream_id}")
            return 404, _error("NotFound", "unknown stream"), {}
        if stream.ended:
            self.protocol_errors.append(f"request after the final on stream {stream_id}")
            return (
                403,
                _error("ContentStreamNotAllowed", "Content stream is already completed streamed message"),
                {},
            )
        if stream.cancelled:
            return 403, _error("ContentStreamNotAllowed", "Content stream was cancelled by user."), {}
        if self.stream_time_limit is not None and now - stream.started_at > self.stream_time_limit:
            return (
                403,
                _error("ContentStreamNotAllowed", "Content stream finished due to exceeded streaming time."),
                {},
            )
        if self.rate_limit_interval is not None and now - stream.last_request_at < self.rate_limit_interval:
            stream.last_request_at = now
            return 429, _error("Throttled", "Too many requests"), {"Retry-After": "1"}
        stream.last_request_at = now
        if self.max_text_utf16 is not None and _utf16(text) > self.max_text_utf16:
            return 403, _error("ContentStreamNotAllowed", "Message size too large"), {}
        if not text.startswith(stream.text):
            self.protocol_errors.append(f"text does not continue the stream: {stream.text!r} -> {text!r}")
            return 400, _error("BadRequest", "streamed content changed"), {}

        if stream_type == "final":
            if "streamSequence" in info:
                self.protocol_errors.append("final message carries a streamSequence")
            stream.ended = True
            stream.text = text
            item.reply_id = stream.id
            return 201, {"id": stream.id}, {}

        if info.get("streamSequence") != stream.sequence + 1:
            # Teams answers 202 and silently drops an update that is out of order.
            self.protocol_errors.append(f"sequence {info.get('streamSequence')} after {stream.sequence}")
            return 202, {}, {}
        stream.sequence += 1
        if stream_type == "streaming":
            stream.text = text
        stream.accepted_requests += 1
        self._maybe_stop(stream)
        return 202, {}, {}

    def _maybe_stop(self, stream: _Stream) -> None:
        if self.stop_after_requests is not None and stream.accepted_requests >= self.stop_after_requests:
            stream.cancelled = True


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
