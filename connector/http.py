"""Sends activities to the Bot Connector over one shared aiohttp session.

botframework-connector 4.17.1 sends every activity with blocking `requests` calls in asyncio's
default thread pool (six threads on two cores), so under load sends queue behind the pool and a
stream's updates fall seconds behind. This sends the same requests, with the same headers,
credentials and error type (`ErrorResponseException`), straight from the event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import aiohttp
from botbuilder.schema import Activity, ErrorResponseException, ResourceResponse
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import AppCredentials, AuthenticationConstants

from .serialization import activity_body

logger = logging.getLogger(__name__)

USER_AGENT = "Microsoft-BotFramework/3.1 (BotBuilder Python/4.17.1; fast-send)"
CONNECT_RETRIES = 3  # as the SDK's urllib3 policy: connection failures are retried three times
CONNECT_BACKOFF = 0.8  # urllib3's backoff factor in the SDK: 0 s, 1.6 s, 3.2 s
TOKEN_REUSE_SECONDS = 60.0  # how long a bearer token from the credentials is reused without asking


class ConnectorHttp:
    """The process's HTTP session to Bot Connector services, and the bearer tokens for it."""

    def __init__(self, *, max_connections: int = 256, timeout: float = 30.0) -> None:
        self._max_connections = max_connections
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._tokens: dict[int, tuple[str, float]] = {}

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._max_connections, limit_per_host=0)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, headers={"User-Agent": USER_AGENT}
            )
        return self._session

    async def authorization(self, credentials: object) -> str | None:
        """The Authorization header the SDK's credentials would add, or None when anonymous."""
        if not isinstance(credentials, AppCredentials):
            return None
        app_id = credentials.microsoft_app_id
        if not app_id or app_id == AuthenticationConstants.ANONYMOUS_SKILL_APP_ID:
            return None
        loop = asyncio.get_running_loop()
        cached = self._tokens.get(id(credentials))
        if cached and cached[1] > loop.time():
            return cached[0]
        # MSAL's token call blocks (and goes to the network when the token is due for renewal).
        token = await asyncio.to_thread(credentials.get_access_token)
        header = f"Bearer {token}"
        self._tokens[id(credentials)] = (header, loop.time() + TOKEN_REUSE_SECONDS)
        return header

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


class _Response:
    """The parts of an HTTP response that msrest needs to build an `ErrorResponseException`."""

    def __init__(self, status: int, reason: str, headers: Mapping[str, str], body: bytes) -> None:
        self.status_code = status
        self.reason = reason
        self.headers = headers
        self._body = body

    def body(self) -> bytes:
        return self._body

    def text(self, encoding: str | None = None) -> str:
        return self._body.decode(encoding or "utf-8", errors="replace")

    def raise_for_status(self) -> None:
        """msrest calls this when the body holds no ErrorResponse (a gateway's bare 404 or 502)."""
        if self.status_code >= 400:
            raise ConnectorHTTPError(f"{self.status_code} {self.reason}")


class ConnectorHTTPError(Exception):
    """The channel answered an error status without an error body; the SDK's exception wraps it."""


class AiohttpConversations:
    """The SDK's `ConversationsOperations`, with the reply operations sent by `ConnectorHttp`."""

    def __init__(self, client: ConnectorClient, http: ConnectorHttp) -> None:
        self._client = client
        self._http = http
        self._base_url = client.config.base_url.rstrip("/")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client.conversations, name)  # everything else: the SDK as it is

    async def send_to_conversation(
        self, conversation_id: str, activity: Activity, **_: object
    ) -> ResourceResponse:
        path = f"/v3/conversations/{quote(conversation_id, safe='')}/activities"
        return await self._send("POST", path, conversation_id, activity)

    async def reply_to_activity(
        self, conversation_id: str, activity_id: str, activity: Activity, **_: object
    ) -> ResourceResponse:
        path = f"/v3/conversations/{quote(conversation_id, safe='')}/activities/{quote(activity_id, safe='')}"
        return await self._send("POST", path, conversation_id, activity)

    async def update_activity(
        self, conversation_id: str, activity_id: str, activity: Activity, **_: object
    ) -> ResourceResponse:
        path = f"/v3/conversations/{quote(conversation_id, safe='')}/activities/{quote(activity_id, safe='')}"
        return await self._send("PUT", path, conversation_id, activity)

    async def _send(
        self, method: str, path: str, conversation_id: str, activity: Activity
    ) -> ResourceResponse:
        body = json.dumps(activity_body(activity, self._client._serialize), separators=(",", ":"))
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/json; charset=utf-8",
            "x-ms-conversation-id": conversation_id,
        }
        authorization = await self._http.authorization(self._client.config.credentials)
        if authorization:
            headers["Authorization"] = authorization
        url = self._base_url + path
        for attempt in range(CONNECT_RETRIES + 1):
            try:
                async with self._http.session().request(method, url, data=body, headers=headers) as response:
                    content = await response.read()
                    if response.status in (200, 201, 202):
                        data = json.loads(content) if content else {}
                        return ResourceResponse(id=data.get("id") if isinstance(data, dict) else None)
                    error = _Response(response.status, response.reason or "", response.headers, content)
                    raise ErrorResponseException(self._client._deserialize, error)
            except aiohttp.ClientConnectorError:
                # The request never left: as safe to retry as the SDK's connect retries.
                if attempt == CONNECT_RETRIES:
                    raise
                await asyncio.sleep(CONNECT_BACKOFF * 2 ** (attempt - 1) if attempt else 0.0)
        raise AssertionError("unreachable")
