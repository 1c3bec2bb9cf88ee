"""A Direct Line 3.0 service on loopback: what stands between Web Chat and the bot in Azure.

Web Chat uses it as it uses Azure's Direct Line: it starts a conversation, receives activities
over a WebSocket (the only way Direct Line delivers typing activities) and posts the user's
activities. The bot uses it as its Bot Connector: replies and updates come back to it, get an id
and a timestamp, and are pushed to the page. User activities are echoed to the page (Web Chat
waits for that echo to mark a message sent) and forwarded to the bot with channelId "webchat".
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

DIRECT_LINE = "/v3/directline"
CONNECTOR = "/v3/conversations"
BOT_ACCOUNT = {"id": "bot-1", "name": "Streaming Bot", "role": "bot"}
BOT_RECIPIENT = {"id": BOT_ACCOUNT["id"], "name": BOT_ACCOUNT["name"]}
TOKEN_LIFETIME = 3600  # seconds; DirectLineJS would refresh it after 15 minutes, longer than a test runs


@dataclass
class Conversation:
    """One Direct Line conversation: its token, everything sent in it, and the open sockets."""

    id: str
    token: str
    user: dict[str, Any]
    activities: list[dict[str, Any]] = field(default_factory=list)
    sockets: set[web.WebSocketResponse] = field(default_factory=set)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class DirectLineEmulator:
    """The service; `bot_endpoint` is the bot's /api/messages, `url` is set once it is served."""

    bot_endpoint: str
    url: str = ""
    conversations: dict[str, Conversation] = field(default_factory=dict)
    bot_failures: list[str] = field(default_factory=list)
    """Activities the bot refused or that could not reach it; a test expects this to stay empty."""
    _session: aiohttp.ClientSession | None = None
    _published: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def wait_until(self, condition: Callable[[], bool], within: float = 15.0) -> None:
        """Wait until `condition()` holds, re-checked after each activity sent to the page."""
        async with self._published:
            await asyncio.wait_for(self._published.wait_for(condition), within)

    def app(self) -> web.Application:
        """Direct Line 3.0 under /v3/directline for the page, the Bot Connector API for the bot."""
        app = web.Application()
        app.router.add_post(f"{DIRECT_LINE}/conversations", self._start_conversation)
        app.router.add_get(f"{DIRECT_LINE}/conversations/{{conversation_id}}/stream", self._stream)
        app.router.add_post(f"{DIRECT_LINE}/conversations/{{conversation_id}}/activities", self._from_user)
        activities = f"{CONNECTOR}/{{conversation_id}}/activities"
        app.router.add_post(activities, self._from_bot)
        app.router.add_post(activities + "/{reply_to_id}", self._from_bot)
        app.router.add_put(activities + "/{activity_id}", self._update_from_bot)
        app.cleanup_ctx.append(self._client_session)
        app.on_shutdown.append(self._close_sockets)
        return app

    async def _client_session(self, _app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as session:
            self._session = session
            yield

    async def _close_sockets(self, _app: web.Application) -> None:
        """Close the pages' WebSockets, so that the server does not wait for them to stop."""
        for conversation in self.conversations.values():
            for socket in list(conversation.sockets):
                await socket.close()

    # ---- Web Chat's side: Direct Line 3.0 ----------------------------------------------------

    async def _start_conversation(self, request: web.Request) -> web.Response:
        """POST /conversations: a new conversation, its own token, and the URL of its stream."""
        if not _bearer(request):
            raise web.HTTPUnauthorized(text="a Direct Line token or secret is required")
        body = await _json_object(request) if request.can_read_body else {}
        user_id = (body.get("user") or {}).get("id") or f"dl_{secrets.token_hex(8)}"
        conversation = Conversation(
            secrets.token_hex(12), secrets.token_urlsafe(24), {"id": user_id, "role": "user"}
        )
        self.conversations[conversation.id] = conversation
        # Azure's Direct Line tells the bot that it and the user joined the new conversation.
        joined = {
            "type": "conversationUpdate",
            "membersAdded": [BOT_RECIPIENT, {"id": user_id}],
        }
        await self._deliver_to_bot(conversation, self._stamp(conversation, joined, conversation.user))
        stream_url = f"ws://{request.host}{DIRECT_LINE}/conversations/{conversation.id}/stream"
        started = {
            "conversationId": conversation.id,
            "token": conversation.token,
            "expires_in": TOKEN_LIFETIME,
            "streamUrl": f"{stream_url}?t={conversation.token}",
        }
        return web.json_response(started, status=201)

    async def _stream(self, request: web.Request) -> web.WebSocketResponse:
        """The conversation's WebSocket: every activity so far, then each new one as it is sent."""
        conversation = self._conversation(request)
        if request.query.get("t") != conversation.token:
            raise web.HTTPForbidden(text="the stream URL's token does not match the conversation")
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        async with conversation.lock:  # what was sent before the page connected comes first
            for index, activity in enumerate(conversation.activities, start=1):
                await _push(socket, activity, str(index))
            conversation.sockets.add(socket)
        try:
            async for _message in socket:
                pass  # Web Chat sends empty pings to notice a broken connection.
        finally:
            conversation.sockets.discard(socket)
        return socket

    async def _from_user(self, request: web.Request) -> web.Response:
        """POST /conversations/{id}/activities: echo the user's activity to the page, then to the bot."""
        conversation = self._authorized(request)
        activity = await _json_object(request)
        if not isinstance(activity.get("type"), str):
            raise web.HTTPBadRequest(text="an activity needs a type")
        sender = {**conversation.user, **(activity.get("from") or {}), "role": "user"}
        stamped = self._stamp(conversation, activity, sender)
        await self._publish(conversation, stamped)  # the echo comes before any reply, as in Azure
        if not await self._deliver_to_bot(conversation, stamped):
            # Azure's Direct Line answers 502 when the bot fails; Web Chat then marks the message failed.
            raise web.HTTPBadGateway(text="the bot did not accept the activity")
        return web.json_response({"id": stamped["id"]})

    # ---- the bot's side: Bot Connector ---------------------------------------------------------

    async def _from_bot(self, request: web.Request) -> web.Response:
        """The bot's send or reply: an id (a stream's id, for its first activity) and to the page."""
        conversation = self._conversation(request)
        activity = await _json_object(request)
        reply_to_id = request.match_info.get("reply_to_id")
        if reply_to_id:
            activity["replyToId"] = reply_to_id
        stamped = self._stamp(conversation, activity, _bot_sender(activity))
        await self._publish(conversation, stamped)
        return web.json_response({"id": stamped["id"]}, status=201)

    async def _update_from_bot(self, request: web.Request) -> web.Response:
        """The bot's update of an activity it sent: the new version goes to the page, same id."""
        conversation = self._conversation(request)
        activity_id = request.match_info["activity_id"]
        if not any(sent.get("id") == activity_id for sent in conversation.activities):
            raise web.HTTPNotFound(text=f"no activity {activity_id} in this conversation")
        activity = await _json_object(request)
        stamped = self._stamp(conversation, activity, _bot_sender(activity))
        stamped["id"] = activity_id  # an update keeps its id; Web Chat replaces the activity
        await self._publish(conversation, stamped)
        return web.json_response({"id": activity_id})

    # ---- helpers --------------------------------------------------------------------------------

    def _conversation(self, request: web.Request) -> Conversation:
        conversation = self.conversations.get(request.match_info["conversation_id"])
        if conversation is None:
            raise web.HTTPNotFound(text="unknown conversation")
        return conversation

    def _authorized(self, request: web.Request) -> Conversation:
        conversation = self._conversation(request)
        if _bearer(request) != conversation.token:
            raise web.HTTPForbidden(text="the token does not belong to this conversation")
        return conversation

    def _stamp(
        self, conversation: Conversation, activity: dict[str, Any], sender: dict[str, Any]
    ) -> dict[str, Any]:
        """The activity as Direct Line relays it: id, timestamp, channel, conversation, sender."""
        from_user = sender.get("role") == "user"
        return {
            **activity,
            "id": f"{conversation.id}|{next(conversation.ids):07d}",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "channelId": "webchat",
            "serviceUrl": self.url,
            "conversation": {"id": conversation.id},
            "from": sender,
            "recipient": BOT_RECIPIENT if from_user else activity.get("recipient") or conversation.user,
        }

    async def _publish(self, conversation: Conversation, activity: dict[str, Any]) -> None:
        """Keep `activity` in the conversation and push it to every open socket, in order."""
        async with conversation.lock:
            conversation.activities.append(activity)
            for socket in list(conversation.sockets):
                await _push(socket, activity, str(len(conversation.activities)))
        async with self._published:
            self._published.notify_all()

    async def _deliver_to_bot(self, conversation: Conversation, activity: dict[str, Any]) -> bool:
        """POST `activity` to the bot; False (and recorded) if it did not accept it."""
        assert self._session is not None, "the emulator's app is not running"
        try:
            async with self._session.post(self.bot_endpoint, json=activity) as response:
                if response.status < 300:
                    return True
                problem = f"HTTP {response.status}: {await response.text()}"
        except aiohttp.ClientError as error:
            problem = repr(error)
        self.bot_failures.append(f"{activity['type']} {activity['id']}: {problem}")
        return False


def _bot_sender(activity: dict[str, Any]) -> dict[str, Any]:
    """The bot's account as the page sees it: always with role "bot", which Web Chat relies on."""
    return {**BOT_ACCOUNT, **(activity.get("from") or {}), "role": "bot"}


def _bearer(request: web.Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as error:
        raise web.HTTPBadRequest(text="the body is not JSON") from error
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="the body is not a JSON object")
    return body


async def _push(socket: web.WebSocketResponse, activity: dict[str, Any], watermark: str) -> None:
    """Send one activity over the WebSocket, framed as Direct Line's stream frames it."""
    if not socket.closed:
        await socket.send_json({"activities": [activity], "watermark": watermark})
