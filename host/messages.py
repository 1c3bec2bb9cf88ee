"""`POST /api/messages`: checks the request, authenticates it, runs the turn, answers the channel.

A message (not `expectReplies`) is answered 201 as soon as it is checked and authenticated; its turn
runs in the background, in its conversation's order (see `inbound_turns.py`). With
`answer_after_turn` (several instances share the conversations) the 201 waits until the turn has
ended: its answer is then recorded where another instance can finish it if this one stops, and the
channel, which sends a message again when the bot fails to take it, never learns of a message that
no instance could answer. Other activities (invokes, conversation updates, `expectReplies`) are
answered when their turn ends, with what it gave.

This replaces `CloudAdapter.process` (botbuilder-integration-aiohttp 4.17.1), which answers 500 to
malformed JSON, 404 to a missing Content-Type, and 500 to every `expectReplies` turn (it passes the
already serialized replies through its serializer again). Authentication and the turn are still the
SDK's: the adapter's `BotFrameworkAuthentication.authenticate_request`, then `process_activity`.

The SDK's token validation raises `PermissionError` for some bad tokens but lets others through as
whatever its JWT library or its own code raised (an expired or forged signature, an unknown key id, a
key not endorsed for the channel, a token that is not a JWT): every one of them is a 401 here.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import requests
from aiohttp import web
from botbuilder.core import Bot, CloudAdapterBase, InvokeResponse, serializer_helper
from botbuilder.schema import Activity, ActivityTypes, DeliveryModes
from botframework.connector import Channels
from botframework.connector.auth import AuthenticateRequestResult
from msrest.exceptions import DeserializationError

from channels import conversation_key
from connector.deserialization import activity_from_body

from .inbound_turns import InboundTurns

logger = logging.getLogger(__name__)

CHECKED_ACTIVITY = web.RequestKey("checked_activity", Activity)
"""The request's activity once it passed the checks and authentication (telemetry reads its ids: a
message's turn runs after the request has been answered)."""


def _refuse(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


class _Unauthorized(Exception):
    """The request's token did not pass; the reason is for the log, never for the caller."""


class _KeysUnavailable(Exception):
    """The keys that sign channel tokens could not be fetched, so no token can be checked now."""


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

    def __init__(
        self,
        adapter: CloudAdapterBase,
        bot: Bot,
        turns: InboundTurns,
        *,
        max_request_bytes: int,
        answer_after_turn: bool = False,
    ) -> None:
        self._adapter = adapter
        self._bot = bot
        self._turns = turns
        self._answer_after_turn = answer_after_turn
        self._max_request_bytes = max_request_bytes
        self._accepting = True

    @property
    def accepting(self) -> bool:
        """False once the bot is shutting down."""
        return self._accepting

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
        if request.content_length is not None and request.content_length > self._max_request_bytes:
            return _too_large(self._max_request_bytes)
        try:
            # aiohttp stops reading at the application's client_max_size (chunked bodies too).
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _too_large(self._max_request_bytes)
        try:
            body = json.loads(raw.decode(request.charset or "utf-8"))
        except (ValueError, LookupError):  # Not JSON, not in its charset, or an unknown charset.
            return _refuse(400, "The body is not valid JSON.")
        except RecursionError:
            return _refuse(400, "The body is nested too deeply.")
        if not isinstance(body, dict):
            return _refuse(400, "The body must be a JSON object: an activity.")
        try:
            activity = activity_from_body(body)
        except (DeserializationError, RecursionError):
            return _refuse(400, "The body is not a valid activity.")
        missing = _missing_fields(activity)
        if missing:
            return _refuse(400, f"The activity lacks {', '.join(missing)}.")
        if not activity.service_url.startswith(("http://", "https://")):
            return _refuse(400, "The activity's serviceUrl is not an http(s) URL.")

        try:
            authenticated = await self._authenticate(activity, request.headers.get("Authorization"))
        except _Unauthorized as error:
            logger.warning(
                "refused an activity that failed authentication (channel %s): %s", activity.channel_id, error
            )
            return _refuse(401, "The request is not authorized.")
        except _KeysUnavailable as error:
            logger.error("cannot check tokens: the signing keys are out of reach: %s", error)
            response = _refuse(503, "The bot cannot check the request's token right now.")
            response.headers["Retry-After"] = "5"
            return response

        request[CHECKED_ACTIVITY] = activity
        if activity.type == ActivityTypes.message and activity.delivery_mode != DeliveryModes.expect_replies:

            async def turn() -> None:
                await self._adapter.process_activity(authenticated, activity, self._bot.on_turn)

            accepted = self._turns.accept(conversation_key(activity), turn)
            if self._answer_after_turn:
                await asyncio.shield(accepted)  # A caller that hangs up does not cancel the turn.
            return web.Response(status=201)

        invoke_response = await self._adapter.process_activity(authenticated, activity, self._bot.on_turn)

        if invoke_response is None:
            return web.Response(status=201)
        if activity.delivery_mode == DeliveryModes.expect_replies:
            return web.json_response(_without_traces(invoke_response.body, activity.channel_id))
        if activity.type == ActivityTypes.invoke:
            return _invoke_answer(activity, invoke_response)
        return web.json_response(serializer_helper(invoke_response.body), status=int(invoke_response.status))

    async def _authenticate(self, activity: Activity, authorization: str | None) -> AuthenticateRequestResult:
        """The SDK's check of the request's token (none is needed when the bot has no app id)."""
        try:
            return await self._adapter.bot_framework_authentication.authenticate_request(
                # The SDK's configured-endpoints validation takes only None, not "", for "no header".
                activity,
                authorization or None,
            )
        except requests.RequestException as error:  # Fetching the OpenID metadata or keys failed.
            raise _KeysUnavailable(f"{type(error).__name__}: {error}") from error
        except Exception as error:
            raise _Unauthorized(f"{type(error).__name__}: {error}") from error


def _invoke_answer(activity: Activity, invoke_response: InvokeResponse) -> web.Response:
    """The HTTP answer to an invoke, which carries the bot's answer as its status and body.

    The bot handles feedback invokes (see bots/feedback.py), no others. The SDK answers one that no
    handler answered with 501, and an `adaptiveCard/action` without a value with a 400 whose
    body (an `Exception`) cannot be serialized: both become a 400 with a short reason, not a 5xx.
    """
    status = int(invoke_response.status)
    if status >= 500:
        logger.info("refused an invoke the bot does not handle: %r", activity.name)
        return _refuse(400, "The bot does not handle this invoke.")
    if invoke_response.body is None:
        # No body, not JSON `null`: the Playground reads a field of the body and fails on null.
        return web.Response(status=status)
    try:
        body = serializer_helper(invoke_response.body)
    except Exception:
        if status < 400:
            raise
        logger.info("refused an invalid invoke %r with %d", activity.name, status, exc_info=True)
        return _refuse(status, "The invoke is not valid.")
    return web.json_response(body, status=status)


def _too_large(limit: int) -> web.Response:
    return _refuse(413, f"The body is larger than {limit} bytes.")
