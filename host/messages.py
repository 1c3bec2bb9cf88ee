"""`POST /api/messages`: checks the request, runs the turn, answers the channel.

This replaces `CloudAdapter.process` (botbuilder-integration-aiohttp 4.17.1), which answers 500 to
malformed JSON, 404 to a missing Content-Type, and 500 to every `expectReplies` turn (it passes the
already serialized replies through its serializer again). The turn itself still runs through the
adapter's `process_activity`, so authentication and the middleware pipeline are the SDK's.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from botbuilder.core import Bot, CloudAdapterBase, serializer_helper
from botbuilder.schema import Activity, DeliveryModes
from botframework.connector import Channels
from msrest.exceptions import DeserializationError

logger = logging.getLogger(__name__)


def _refuse(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


def _missing_fields(activity: Activity) -> list[str]:
    """The fields without which no turn can run or be answered."""
    required = {
        "type": activity.type,
        "channelId": activity.channel_id,
        "serviceUrl": activity.service_url,
        "conversation.id": activity.conversation.id if activity.conversation else None,
    }
    return [name for name, value in required.items() if not value or not isinstance(value, str)]


def _without_traces(expected_replies: dict[str, Any], channel_id: str) -> dict[str, Any]:
    """The buffered replies minus trace activities, which the adapter sends to the Emulator only.

    The SDK buffers the dialog runner's state-snapshot trace into every `expectReplies` answer.
    """
    if channel_id == Channels.emulator:
        return expected_replies
    replies = [reply for reply in expected_replies.get("activities") or [] if reply.get("type") != "trace"]
    return {**expected_replies, "activities": replies}


class MessagesEndpoint:
    """The aiohttp handler for the Bot Connector's activities."""

    def __init__(self, adapter: CloudAdapterBase, bot: Bot) -> None:
        self._adapter = adapter
        self._bot = bot
        self._accepting = True

    def stop_accepting(self) -> None:
        """Refuse new activities from now on (the bot is shutting down); the channel retries them."""
        self._accepting = False

    async def handle(self, request: web.Request) -> web.Response:
        if not self._accepting:
            response = _refuse(503, "The bot is shutting down; try again shortly.")
            response.headers["Retry-After"] = "5"
            return response
        if request.content_type != "application/json":
            return _refuse(415, "Content-Type must be application/json.")
        try:
            body = await request.json()
        except ValueError:
            return _refuse(400, "The body is not valid JSON.")
        if not isinstance(body, dict):
            return _refuse(400, "The body must be a JSON object: an activity.")
        try:
            activity = Activity.deserialize(body)
        except DeserializationError:
            return _refuse(400, "The body is not a valid activity.")
        missing = _missing_fields(activity)
        if missing:
            return _refuse(400, f"The activity lacks {', '.join(missing)}.")
        if not activity.service_url.startswith(("http://", "https://")):
            return _refuse(400, "The activity's serviceUrl is not an http(s) URL.")

        try:
            invoke_response = await self._adapter.process_activity(
                request.headers.get("Authorization", ""), activity, self._bot.on_turn
            )
        except PermissionError:
            logger.warning("refused an activity that failed authentication (channel %s)", activity.channel_id)
            return _refuse(401, "The request is not authorized.")

        if invoke_response is None:
            return web.Response(status=201)
        if activity.delivery_mode == DeliveryModes.expect_replies:
            return web.json_response(_without_traces(invoke_response.body, activity.channel_id))
        return web.json_response(serializer_helper(invoke_response.body), status=int(invoke_response.status))
