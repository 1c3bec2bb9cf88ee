"""Inbound authentication with an app id set: the SDK's real token validation, against keys the test owns.

The test signs RS256 tokens with keys it generates and serves their OpenID metadata and key set on
loopback. Two ways of pointing the SDK there are covered:
- "public cloud": the configuration the bot runs with in Azure (no endpoint settings), where the SDK's
  built-in validation reads the metadata URLs from `ChannelValidation.open_id_metadata_endpoint` and
  `AuthenticationConstants`, which the test points at its server;
- "configured": the `TO_BOT_FROM_*_OPENID_METADATA_URL` settings, which switch the SDK to its
  parameterized validation.
Every forged, stale or misdirected token gets 401 and starts no turn; a valid one is answered.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botframework.connector.auth import (
    AuthenticationConstants,
    ChannelValidation,
    MicrosoftAppCredentials,
)
from cryptography.hazmat.primitives import serialization

from benchmarks.serving import free_port
from tests.conftest import StartBot
from tests.support.activities import user_message
from tests.support.bot import BotClient
from tests.support.connector import RecordingConnector
from tests.support.tokens import (
    OpenIdServer,
    SigningKey,
    channel_claims,
    emulator_claims,
    forged_token,
)

APP_ID = "6a1f2c3d-4b5e-4f60-8a7b-9c0d1e2f3a4b"
OTHER_APP_ID = "0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f"
OUTBOUND_TOKEN = "outbound-token-the-test-hands-out"
UNAUTHORIZED = (401, {"error": "The request is not authorized."})


@pytest.fixture
def signing_key() -> SigningKey:
    return SigningKey()


@pytest.fixture
def teams_only_key() -> SigningKey:
    """A key the metadata endorses for the msteams channel only."""
    return SigningKey(endorsements=["msteams"])


@pytest.fixture
def openid(signing_key: SigningKey, teams_only_key: SigningKey) -> Iterator[OpenIdServer]:
    with OpenIdServer([signing_key, teams_only_key]).running() as server:
        yield server


@pytest.fixture
def outbound_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bot's own token for its replies: Entra ID is out of reach, so the test hands one out.

    Everything else on the way out (credentials per turn, the Authorization header) is the SDK's.
    """
    monkeypatch.setattr(
        MicrosoftAppCredentials, "get_access_token", lambda self, force_refresh=False: OUTBOUND_TOKEN
    )


@pytest.fixture(params=["public cloud", "configured"])
def auth_env(
    request: pytest.FixtureRequest,
    openid: OpenIdServer,
    monkeypatch: pytest.MonkeyPatch,
    outbound_token: None,
) -> dict[str, str]:
    """The bot's settings with an app id, and its token validation pointed at the test's keys."""
    env = {
        "MicrosoftAppId": APP_ID,
        "MicrosoftAppPassword": "test-password",
        "OFFLINE_MODEL_TOKENS_PER_SECOND": "10000",
    }
    if request.param == "public cloud":
        monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint", openid.metadata_url)
        monkeypatch.setattr(
            AuthenticationConstants, "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL", openid.metadata_url
        )
        return env
    return env | {
        "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": openid.metadata_url,
        "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL": openid.metadata_url,
    }


def bearer(token: str) -> str:
    return f"Bearer {token}"


def without(claims: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in claims.items() if key != name}


def public_pem(key: SigningKey) -> bytes:
    return key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# Each attack: (Authorization header or None, channel the activity claims to come from).
Attack = Callable[[SigningKey, SigningKey, str], tuple[str | None, str]]

ATTACKS: dict[str, Attack] = {
    "no Authorization header": lambda key, teams_key, url: (None, "msteams"),
    "empty Authorization header": lambda key, teams_key, url: ("", "msteams"),
    "Bearer with no token": lambda key, teams_key, url: ("Bearer ", "msteams"),
    "not a JWT": lambda key, teams_key, url: ("Bearer not-a-token", "msteams"),
    "Basic credentials": lambda key, teams_key, url: ("Basic dXNlcjpwYXNzd29yZA==", "msteams"),
    "valid token in the wrong scheme": lambda key, teams_key, url: (
        f"Token {key.sign(channel_claims(APP_ID, url))}",
        "msteams",
    ),
    "expired ten minutes ago": lambda key, teams_key, url: (
        bearer(key.sign(channel_claims(APP_ID, url) | {"exp": int(time.time()) - 600})),
        "msteams",
    ),
    "not valid for another hour": lambda key, teams_key, url: (
        bearer(key.sign(channel_claims(APP_ID, url) | {"nbf": int(time.time()) + 3600})),
        "msteams",
    ),
    "signed by another key under the real key's kid": lambda key, teams_key, url: (
        bearer(SigningKey().sign(channel_claims(APP_ID, url), kid=key.kid)),
        "msteams",
    ),
    "signed by a key the metadata does not list": lambda key, teams_key, url: (
        bearer(SigningKey().sign(channel_claims(APP_ID, url))),
        "msteams",
    ),
    "payload changed after signing": lambda key, teams_key, url: (
        bearer(_swap_payload(key.sign(channel_claims(OTHER_APP_ID, url)), channel_claims(APP_ID, url))),
        "msteams",
    ),
    "alg none": lambda key, teams_key, url: (
        bearer(forged_token(channel_claims(APP_ID, url), {"alg": "none", "typ": "JWT", "kid": key.kid})),
        "msteams",
    ),
    "HS256 keyed with the public key": lambda key, teams_key, url: (
        bearer(
            forged_token(
                channel_claims(APP_ID, url), {"alg": "HS256", "typ": "JWT", "kid": key.kid}, public_pem(key)
            )
        ),
        "msteams",
    ),
    "audience is another bot": lambda key, teams_key, url: (
        bearer(key.sign(channel_claims(OTHER_APP_ID, url))),
        "msteams",
    ),
    "no audience": lambda key, teams_key, url: (
        bearer(key.sign(without(channel_claims(APP_ID, url), "aud"))),
        "msteams",
    ),
    "issuer is not the Bot Framework": lambda key, teams_key, url: (
        bearer(key.sign(channel_claims(APP_ID, url) | {"iss": "https://login.attacker.example"})),
        "msteams",
    ),
    "no issuer": lambda key, teams_key, url: (
        bearer(key.sign(without(channel_claims(APP_ID, url), "iss"))),
        "msteams",
    ),
    "token for another serviceUrl": lambda key, teams_key, url: (
        bearer(key.sign(channel_claims(APP_ID, "https://smba.trafficmanager.net/amer/"))),
        "msteams",
    ),
    "no serviceurl claim": lambda key, teams_key, url: (
        bearer(key.sign(without(channel_claims(APP_ID, url), "serviceurl"))),
        "msteams",
    ),
    "key endorsed for msteams, activity from webchat": lambda key, teams_key, url: (
        bearer(teams_key.sign(channel_claims(APP_ID, url))),
        "webchat",
    ),
    "Emulator token for another bot": lambda key, teams_key, url: (
        bearer(key.sign(emulator_claims(OTHER_APP_ID))),
        "emulator",
    ),
    "Emulator token of an unknown version": lambda key, teams_key, url: (
        bearer(key.sign(emulator_claims(APP_ID) | {"ver": "3.0"})),
        "emulator",
    ),
    "Emulator token signed by an unlisted key": lambda key, teams_key, url: (
        bearer(SigningKey().sign(emulator_claims(APP_ID))),
        "emulator",
    ),
}


def _swap_payload(token: str, claims: dict[str, Any]) -> str:
    """`token`'s header and signature around another payload."""
    header, _payload, signature = token.split(".")
    forged = forged_token(claims, {}).split(".")[1]
    return f"{header}.{forged}.{signature}"


async def post(bot: BotClient, activity: dict[str, Any], authorization: str | None) -> tuple[int, Any]:
    headers = {"Authorization": authorization} if authorization is not None else None
    return await bot.post_activity(activity, headers)


async def test_every_forged_stale_or_misdirected_token_gets_401_and_starts_no_turn(
    start_bot: StartBot,
    connector: RecordingConnector,
    auth_env: dict[str, str],
    signing_key: SigningKey,
    teams_only_key: SigningKey,
) -> None:
    bot = await start_bot(auth_env)
    results = {}
    for name, attack in ATTACKS.items():
        authorization, channel_id = attack(signing_key, teams_only_key, connector.url)
        results[name] = await post(
            bot, user_message("hi", connector.url, channel_id=channel_id), authorization
        )
    assert results == dict.fromkeys(ATTACKS, UNAUTHORIZED)
    # Turns end with their request, and an answer one started would end here: none may have sent anything.
    await bot.answers_done()
    assert connector.received == []


@pytest.mark.parametrize("channel_id", ["msteams", "webchat"])
async def test_a_valid_channel_token_is_accepted_and_answered_with_the_bots_own_token(
    start_bot: StartBot,
    connector: RecordingConnector,
    auth_env: dict[str, str],
    signing_key: SigningKey,
    channel_id: str,
) -> None:
    bot = await start_bot(auth_env)
    token = signing_key.sign(channel_claims(APP_ID, connector.url))
    status, _ = await post(bot, user_message("hi", connector.url, channel_id=channel_id), bearer(token))
    assert status == 201
    await connector.wait_for_answers()
    assert {item.authorization for item in connector.received} == {bearer(OUTBOUND_TOKEN)}


async def test_a_key_endorsed_for_the_channel_is_accepted(
    start_bot: StartBot, connector: RecordingConnector, auth_env: dict[str, str], teams_only_key: SigningKey
) -> None:
    bot = await start_bot(auth_env)
    token = teams_only_key.sign(channel_claims(APP_ID, connector.url))
    status, _ = await post(bot, user_message("hi", connector.url), bearer(token))
    assert status == 201
    await connector.wait_for_answers()


async def test_a_valid_emulator_token_is_accepted(
    start_bot: StartBot, connector: RecordingConnector, auth_env: dict[str, str], signing_key: SigningKey
) -> None:
    bot = await start_bot(auth_env)
    token = signing_key.sign(emulator_claims(APP_ID))
    status, _ = await post(bot, user_message("hi", connector.url, channel_id="emulator"), bearer(token))
    assert status == 201
    await connector.wait_for_answers()


async def test_a_token_replayed_with_a_changed_activity_still_passes_only_where_its_claims_hold(
    start_bot: StartBot, connector: RecordingConnector, auth_env: dict[str, str], signing_key: SigningKey
) -> None:
    """A channel token binds the bot (aud) and the serviceUrl, not the body: replaying a captured
    token to send the bot's replies elsewhere fails; replaying it with other text to the same
    serviceUrl passes, as it does for every Bot Framework bot (TLS keeps tokens from being captured)."""
    bot = await start_bot(auth_env)
    token = bearer(signing_key.sign(channel_claims(APP_ID, connector.url)))
    elsewhere = copy.deepcopy(user_message("hi", "http://127.0.0.1:9/attacker"))
    assert await post(bot, elsewhere, token) == UNAUTHORIZED
    status, _ = await post(bot, user_message("other text", connector.url), token)
    assert status == 201
    await connector.wait_for_answers()


def _closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}/v1/.well-known/openidconfiguration"


async def test_unreachable_signing_keys_get_503_so_the_channel_retries(
    start_bot: StartBot, connector: RecordingConnector, signing_key: SigningKey
) -> None:
    bot = await start_bot(
        {
            "MicrosoftAppId": APP_ID,
            "MicrosoftAppPassword": "test-password",
            "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": _closed_port_url(),
        }
    )
    token = signing_key.sign(channel_claims(APP_ID, connector.url))
    status, body = await post(bot, user_message("hi", connector.url), bearer(token))
    assert (status, body) == (503, {"error": "The bot cannot check the request's token right now."})
    assert connector.received == []
