"""Bot Framework tokens that a test signs itself, and the OpenID metadata and keys that vouch for them.

The SDK validates inbound tokens against an OpenID configuration document and the JSON Web Key Set it
points to. `OpenIdServer` serves both on loopback from a thread of its own: the SDK fetches them with
blocking `requests` calls from inside the bot's event loop, so they cannot be served by that loop.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CHANNEL_ISSUER = "https://api.botframework.com"
"""The issuer of every token the Bot Connector Service sends to bots."""
EMULATOR_ISSUER = "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"
"""One of the Entra ID issuers the SDK takes for an Emulator token (v1.0 tokens)."""
METADATA_PATH = "/v1/.well-known/openidconfiguration"


@dataclass
class SigningKey:
    """An RSA key pair and the JWK that publishes its public half."""

    kid: str = field(default_factory=lambda: uuid.uuid4().hex)
    endorsements: list[str] | None = None
    private_key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    def jwk(self) -> dict[str, Any]:
        key = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        key |= {"kid": self.kid, "use": "sig", "alg": "RS256"}
        if self.endorsements is not None:
            key["endorsements"] = self.endorsements
        return key

    def sign(self, claims: dict[str, Any], *, kid: str | None = None) -> str:
        """An RS256 token over `claims`, its header naming `kid` (this key's own by default)."""
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": kid or self.kid})


def channel_claims(app_id: str, service_url: str, *, lifetime: float = 3600.0) -> dict[str, Any]:
    """The claims of a token the Bot Connector Service sends with an activity for bot `app_id`."""
    now = int(time.time())
    return {
        "iss": CHANNEL_ISSUER,
        "aud": app_id,
        "serviceurl": service_url,
        "nbf": now - 60,
        "iat": now - 60,
        "exp": now + int(lifetime),
    }


def emulator_claims(app_id: str) -> dict[str, Any]:
    """The claims of a v1.0 Entra ID token that the Emulator sends for bot `app_id`."""
    now = int(time.time())
    return {
        "iss": EMULATOR_ISSUER,
        "aud": app_id,
        "appid": app_id,
        "ver": "1.0",
        "nbf": now - 60,
        "iat": now - 60,
        "exp": now + 3600,
    }


def forged_token(claims: dict[str, Any], header: dict[str, Any], hmac_secret: bytes | None = None) -> str:
    """A token built by hand as an attacker would: any header, and either no signature (alg "none")
    or an HMAC-SHA256 one made with `hmac_secret` (say, the issuer's public key)."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signed = f"{part(json.dumps(header).encode())}.{part(json.dumps(claims).encode())}"
    signature = hmac.new(hmac_secret, signed.encode(), hashlib.sha256).digest() if hmac_secret else b""
    return f"{signed}.{part(signature)}"


@dataclass
class OpenIdServer:
    """The OpenID configuration and keys of a token issuer, on a free loopback port."""

    keys: list[SigningKey]
    url: str = ""
    requests: list[str] = field(default_factory=list)

    @property
    def metadata_url(self) -> str:
        return self.url + METADATA_PATH

    @contextmanager
    def running(self) -> Iterator[OpenIdServer]:
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                issuer.requests.append(self.path)
                if self.path == METADATA_PATH:
                    self._json({"issuer": CHANNEL_ISSUER, "jwks_uri": f"{issuer.url}/v1/keys"})
                elif self.path == "/v1/keys":
                    self._json({"keys": [key.jwk() for key in issuer.keys]})
                else:
                    self.send_error(404)

            def _json(self, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test reads `requests` instead."""

        return Handler
