"""The SDK's configuration-based authentication, with connector clients reused across turns.

The SDK builds a new connector client and a new user-token client for every turn (each one
builds msrest's retry policy, about 5 ms of CPU on this machine), twice per answer here since
the answer runs in a turn of its own. Request authentication itself is left to the SDK.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)

from .http import AiohttpConversations, ConnectorHttp

MAX_CACHED_CLIENTS = 1000


class AiohttpConnectorClient:
    """A `ConnectorClient` whose reply operations go over aiohttp, through `ConnectorHttp`."""

    def __init__(self, client: ConnectorClient, http: ConnectorHttp) -> None:
        self._client = client
        self.conversations = AiohttpConversations(client, http)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class _ReusingConnectorFactory(ConnectorFactory):
    """Hands out one connector client per (bot, service URL, audience), made by the SDK's factory."""

    def __init__(
        self, inner: ConnectorFactory, bot_key: str, owner: ReusingBotFrameworkAuthentication
    ) -> None:
        self._inner = inner
        self._bot_key = bot_key
        self._owner = owner

    async def create(self, service_url: str, audience: str | None = None) -> AiohttpConnectorClient:
        return await self._owner.connector_client(self._inner, self._bot_key, service_url, audience)


class _LazyUserTokenClient(UserTokenClient):
    """Builds the SDK's user-token client only if the turn uses it (sign-in), not for every turn."""

    def __init__(self, owner: ReusingBotFrameworkAuthentication, claims_identity: ClaimsIdentity) -> None:
        self._owner = owner
        self._claims_identity = claims_identity
        self._client: UserTokenClient | None = None

    async def _real(self) -> UserTokenClient:
        if self._client is None:
            self._client = await self._owner.sdk_user_token_client(self._claims_identity)
        return self._client

    async def get_user_token(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._real()).get_user_token(*args, **kwargs)

    async def get_sign_in_resource(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._real()).get_sign_in_resource(*args, **kwargs)

    async def sign_out_user(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._real()).sign_out_user(*args, **kwargs)

    async def get_token_status(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._real()).get_token_status(*args, **kwargs)

    async def get_aad_tokens(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._real()).get_aad_tokens(*args, **kwargs)

    async def exchange_token(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._real()).exchange_token(*args, **kwargs)


class ReusingBotFrameworkAuthentication(ConfigurationBotFrameworkAuthentication):
    """`ConfigurationBotFrameworkAuthentication` whose connector clients are reused across turns and send
    replies over the shared aiohttp session."""

    def __init__(self, configuration: object, http: ConnectorHttp) -> None:
        super().__init__(configuration)
        self._http = http
        self._clients: OrderedDict[tuple[str, str, str | None], AiohttpConnectorClient] = OrderedDict()

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        result = await super().authenticate_request(activity, auth_header)
        result.connector_factory = self._reusing(result.connector_factory, result.claims_identity)
        return result

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self._reusing(super().create_connector_factory(claims_identity), claims_identity)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        return _LazyUserTokenClient(self, claims_identity)

    async def sdk_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        return await super().create_user_token_client(claims_identity)

    async def connector_client(
        self, inner: ConnectorFactory, bot_key: str, service_url: str, audience: str | None
    ) -> AiohttpConnectorClient:
        key = (bot_key, service_url, audience)
        client = self._clients.get(key)
        if client is None:
            client = AiohttpConnectorClient(await inner.create(service_url, audience), self._http)
            self._clients[key] = client
            if len(self._clients) > MAX_CACHED_CLIENTS:
                self._clients.popitem(last=False)
        else:
            self._clients.move_to_end(key)
        return client

    def _reusing(
        self, factory: ConnectorFactory | None, claims_identity: ClaimsIdentity
    ) -> ConnectorFactory | None:
        if factory is None:
            return None
        bot_key = str((claims_identity.claims or {}).get(AuthenticationConstants.AUDIENCE_CLAIM) or "")
        return _ReusingConnectorFactory(factory, bot_key, self)
