"""Bot configuration, read once from the environment at start-up.

`DefaultConfig` keeps the attribute names the Bot Framework SDK reads (`APP_ID`, `APP_PASSWORD`,
`APP_TYPE`, `APP_TENANTID`) and adds the model and streaming settings. Every value is checked here,
so a bad setting stops the bot at start-up with a message that names the variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Literal

from botbuilder.schema import CallerIdConstants
from botframework.connector.auth import AuthenticationConstants

ModelProvider = Literal["offline", "openai", "azure"]

DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful assistant in a chat app. Answer clearly and concisely; use Markdown where it helps."
)


_PUBLIC_CLOUD = AuthenticationConstants
AUTH_ENDPOINT_DEFAULTS = {
    "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": _PUBLIC_CLOUD.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
    "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": _PUBLIC_CLOUD.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
    "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL": _PUBLIC_CLOUD.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
    "TO_CHANNEL_FROM_BOT_LOGIN_URL": _PUBLIC_CLOUD.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX,
    "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": _PUBLIC_CLOUD.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
    "OAUTH_URL": _PUBLIC_CLOUD.OAUTH_URL,
}
"""The SDK's optional authentication endpoint settings (read under these names), with the public
Azure cloud's values that apply to those left unset once any is set."""


DEFAULT_SERVICE_NAME = "streaming-llm-bot"
_INSTRUMENTATION_KEY = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class ConfigError(ValueError):
    """A setting is missing or invalid; the message names the environment variable."""


class _Env:
    """Typed, validated reads from an environment mapping."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def text(self, name: str, default: str = "") -> str:
        return self._env.get(name, default).strip()

    def number(self, name: str, default: float, *, minimum: float, maximum: float) -> float:
        raw = self.text(name)
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {raw!r}") from None
        if not minimum <= value <= maximum:
            raise ConfigError(f"{name} must be between {minimum:g} and {maximum:g}, got {raw!r}")
        return value

    def integer(self, name: str, default: int, *, minimum: int, maximum: int) -> int:
        raw = self.text(name)
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
        if not minimum <= value <= maximum:
            raise ConfigError(f"{name} must be between {minimum} and {maximum}, got {raw!r}")
        return value

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.text(name, default).lower() or default
        if value not in choices:
            raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        return value

    def url(self, name: str) -> str:
        value = self.text(name)
        if value and not value.startswith(("http://", "https://")):
            raise ConfigError(f"{name} must be an http(s) URL, got {value!r}")
        return value


class DefaultConfig:
    """All settings of the bot; `DefaultConfig()` reads `os.environ`, tests pass a mapping."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        read = _Env(os.environ if env is None else env)

        # Host.
        self.HOST = read.text("HOST", "localhost") or "localhost"
        self.PORT = read.integer("PORT", 3978, minimum=1, maximum=65535)
        self.LOG_FORMAT = read.choice("LOG_FORMAT", "text", ("text", "json"))
        self.LOG_LEVEL = read.choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error")).upper()
        # Larger request bodies get 413 before they are read; Bot Connector activities are far smaller.
        self.MAX_REQUEST_BYTES = read.integer(
            "MAX_REQUEST_BYTES", 256 * 1024, minimum=1024, maximum=100 * 1024 * 1024
        )
        # How long /readyz waits for the storage and for the model before calling them not ready.
        self.READY_TIMEOUT_SECONDS = read.number("READY_TIMEOUT_SECONDS", 3.0, minimum=0.1, maximum=60.0)

        # Bot identity, under the names the SDK's ConfigurationBotFrameworkAuthentication reads.
        self.APP_ID = read.text("MicrosoftAppId")
        self.APP_PASSWORD = read.text("MicrosoftAppPassword")
        self.APP_TYPE = read.choice(
            "MicrosoftAppType", "MultiTenant", ("multitenant", "singletenant", "userassignedmsi")
        )
        self.APP_TENANTID = read.text("MicrosoftAppTenantId")
        self._check_identity()
        self._read_auth_endpoints(read)

        # Model: OpenAI (or any OpenAI-compatible server), Azure OpenAI, or the offline stand-in.
        self.OPENAI_API_KEY = read.text("OPENAI_API_KEY")
        self.OPENAI_BASE_URL = read.url("OPENAI_BASE_URL")
        self.OPENAI_MODEL = read.text("OPENAI_MODEL", "gpt-4o-mini") or "gpt-4o-mini"
        self.AZURE_OPENAI_ENDPOINT = read.url("AZURE_OPENAI_ENDPOINT")
        self.AZURE_OPENAI_API_KEY = read.text("AZURE_OPENAI_API_KEY")
        self.AZURE_OPENAI_API_VERSION = read.text("OPENAI_API_VERSION", "2024-10-21") or "2024-10-21"
        self.AZURE_OPENAI_DEPLOYMENT = read.text("AZURE_OPENAI_DEPLOYMENT")
        self.MODEL_PROVIDER: ModelProvider = self._model_provider(read)
        self.MODEL_TEMPERATURE = read.number("MODEL_TEMPERATURE", 0.7, minimum=0.0, maximum=2.0)
        self.MODEL_TIMEOUT_SECONDS = read.number("MODEL_TIMEOUT_SECONDS", 60.0, minimum=1.0, maximum=600.0)
        self.MODEL_MAX_RETRIES = read.integer("MODEL_MAX_RETRIES", 2, minimum=0, maximum=10)
        self.MODEL_IDLE_TIMEOUT_SECONDS = read.number(
            "MODEL_IDLE_TIMEOUT_SECONDS", 45.0, minimum=0.1, maximum=600.0
        )
        self.MODEL_BREAKER_FAILURES = read.integer("MODEL_BREAKER_FAILURES", 5, minimum=1, maximum=1000)
        self.MODEL_BREAKER_COOLDOWN_SECONDS = read.number(
            "MODEL_BREAKER_COOLDOWN_SECONDS", 30.0, minimum=0.1, maximum=3600.0
        )
        self.OFFLINE_MODEL_TOKENS_PER_SECOND = read.number(
            "OFFLINE_MODEL_TOKENS_PER_SECOND", 20.0, minimum=0.1, maximum=100_000.0
        )

        # State storage: one setting picks the engine (see storage/).
        self.STORAGE = read.choice("STORAGE", "sqlite", ("memory", "sqlite", "blob", "redis"))
        self.SQLITE_PATH = read.text("SQLITE_PATH", "data/bot-state.sqlite3")
        self.REDIS_URL = read.text("REDIS_URL", "redis://127.0.0.1:6379/0")
        self.REDIS_KEY_PREFIX = read.text("REDIS_KEY_PREFIX", "bot-state:")
        self.BLOB_CONNECTION_STRING = read.text("BLOB_CONNECTION_STRING")
        self.BLOB_CONTAINER = read.text("BLOB_CONTAINER", "bot-state")
        self._check_storage()

        # Per-user limits and moderation (see safety/).
        self.MAX_MESSAGE_CHARS = read.integer("MAX_MESSAGE_CHARS", 4000, minimum=1, maximum=1_000_000)
        self.USER_MESSAGES_PER_MINUTE = read.number(
            "USER_MESSAGES_PER_MINUTE", 30.0, minimum=0.1, maximum=10_000.0
        )
        self.USER_MESSAGE_BURST = read.integer("USER_MESSAGE_BURST", 10, minimum=1, maximum=10_000)
        self.MAX_ANSWERS_PER_USER = read.integer("MAX_ANSWERS_PER_USER", 2, minimum=1, maximum=1_000)
        self.BLOCKED_TERMS = [term.strip() for term in read.text("BLOCKED_TERMS").split(",") if term.strip()]
        self.MODERATION = read.choice("MODERATION", "off", ("off", "openai"))
        if self.MODERATION == "openai" and self.MODEL_PROVIDER != "openai":
            raise ConfigError(
                "MODERATION=openai needs the OpenAI provider (OPENAI_API_KEY or OPENAI_BASE_URL)"
            )

        # Conversation.
        self.SYSTEM_PROMPT = read.text("SYSTEM_PROMPT", DEFAULT_SYSTEM_PROMPT) or DEFAULT_SYSTEM_PROMPT
        self.HISTORY_CHAR_BUDGET = read.integer("HISTORY_CHAR_BUDGET", 12_000, minimum=100, maximum=2_000_000)

        # Streaming pace per channel family, in seconds between updates. Teams allows one a second.
        self.TEAMS_STREAM_INTERVAL = read.number("TEAMS_STREAM_INTERVAL", 1.0, minimum=1.0, maximum=30.0)
        self.WEBCHAT_STREAM_INTERVAL = read.number("WEBCHAT_STREAM_INTERVAL", 0.5, minimum=0.05, maximum=30.0)
        self.TYPING_INTERVAL = read.number("TYPING_INTERVAL", 3.0, minimum=0.1, maximum=30.0)
        self.STREAM_KEEPALIVE_SECONDS = read.number(
            "STREAM_KEEPALIVE_SECONDS", 2.0, minimum=0.1, maximum=60.0
        )
        self.STREAM_MAX_SECONDS = read.number("STREAM_MAX_SECONDS", 100.0, minimum=1.0, maximum=115.0)
        self.MESSAGE_MAX_UTF16 = read.integer("MESSAGE_MAX_UTF16", 12_000, minimum=100, maximum=40_000)
        self.DELIVERY_DEADLINE_SECONDS = read.number(
            "DELIVERY_DEADLINE_SECONDS", 15.0, minimum=0.5, maximum=120.0
        )
        self.SHUTDOWN_GRACE_SECONDS = read.number("SHUTDOWN_GRACE_SECONDS", 10.0, minimum=0.0, maximum=120.0)

        # Telemetry export (see observability/otel/): nothing is exported, or even imported, unless
        # Application Insights or an OTLP endpoint is set. The SDK's other OTEL_* variables (headers,
        # batch delay, export interval, resource attributes) it reads itself.
        self.OTEL_SERVICE_NAME = read.text("OTEL_SERVICE_NAME", DEFAULT_SERVICE_NAME) or DEFAULT_SERVICE_NAME
        self.APPLICATIONINSIGHTS_CONNECTION_STRING = _app_insights_connection_string(
            read.text("APPLICATIONINSIGHTS_CONNECTION_STRING")
        )
        otlp_endpoint = read.url("OTEL_EXPORTER_OTLP_ENDPOINT")
        self.OTLP_TRACES_ENDPOINT = read.url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or _signal_url(
            otlp_endpoint, "traces"
        )
        self.OTLP_METRICS_ENDPOINT = read.url("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") or _signal_url(
            otlp_endpoint, "metrics"
        )
        # The bot ships the OTLP/HTTP exporter only; a collector's gRPC port would refuse every export.
        self.OTEL_EXPORTER_OTLP_PROTOCOL = read.choice(
            "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", ("http/protobuf",)
        )

    def secrets(self) -> list[str]:
        """Values that must never appear in a log line."""
        values = [
            self.APP_PASSWORD,
            self.OPENAI_API_KEY,
            self.AZURE_OPENAI_API_KEY,
            self.BLOB_CONNECTION_STRING,
            self.APPLICATIONINSIGHTS_CONNECTION_STRING,
        ]
        return [value for value in values if value]

    def _check_identity(self) -> None:
        """Ask up front for what the SDK would otherwise reject with a bare `Exception` later."""
        required = {
            "singletenant": ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppTenantId"),
            "userassignedmsi": ("MicrosoftAppId", "MicrosoftAppTenantId"),
        }.get(self.APP_TYPE, ())
        values = {
            "MicrosoftAppId": self.APP_ID,
            "MicrosoftAppPassword": self.APP_PASSWORD,
            "MicrosoftAppTenantId": self.APP_TENANTID,
        }
        for name in required:
            if not values[name]:
                raise ConfigError(f"{name} is required when MicrosoftAppType is {self.APP_TYPE}")

    def _read_auth_endpoints(self, read: _Env) -> None:
        """Where the SDK fetches the keys that sign channel tokens, and the issuers it accepts.

        Unset (the normal case), the SDK uses the public Azure cloud's endpoints. Setting any of these
        switches the SDK to its "parameterized" authentication, which takes every endpoint from the
        configuration, so the ones left unset get the public cloud's values here. They are for private
        clouds and for tests that serve their own OpenID metadata and keys.
        """
        values = {name: read.url(name) for name in AUTH_ENDPOINT_DEFAULTS}
        parameterized = any(values.values())
        for name, default in AUTH_ENDPOINT_DEFAULTS.items():
            # None, not "": the SDK picks its built-in public cloud authentication only when all are None.
            setattr(self, name, (values[name] or default) if parameterized else None)
        self.CALLER_ID = CallerIdConstants.public_azure_channel if parameterized else None

    def _check_storage(self) -> None:
        """The chosen storage has what it needs."""
        if self.STORAGE == "sqlite" and not self.SQLITE_PATH:
            raise ConfigError("SQLITE_PATH must not be empty when STORAGE is sqlite")
        if self.STORAGE == "redis" and not self.REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError(
                f"REDIS_URL must be a redis://, rediss:// or unix:// URL, got {self.REDIS_URL!r}"
            )
        if self.STORAGE == "blob" and not (self.BLOB_CONNECTION_STRING and self.BLOB_CONTAINER):
            raise ConfigError("BLOB_CONNECTION_STRING and BLOB_CONTAINER are required when STORAGE is blob")

    def _model_provider(self, read: _Env) -> ModelProvider:
        """Pick the provider: `MODEL_PROVIDER` if set, else the first one whose settings are present."""
        provider = read.choice("MODEL_PROVIDER", "auto", ("auto", "offline", "openai", "azure"))
        if provider == "auto":
            if self.AZURE_OPENAI_ENDPOINT:
                provider = "azure"
            elif self.OPENAI_API_KEY or self.OPENAI_BASE_URL:
                provider = "openai"
            else:
                provider = "offline"
        if provider == "azure":
            if not self.AZURE_OPENAI_ENDPOINT:
                raise ConfigError("AZURE_OPENAI_ENDPOINT is required when MODEL_PROVIDER is azure")
            if not self.AZURE_OPENAI_DEPLOYMENT:
                raise ConfigError("AZURE_OPENAI_DEPLOYMENT is required for Azure OpenAI")
            if not (self.AZURE_OPENAI_API_KEY or read.text("AZURE_OPENAI_AD_TOKEN")):
                raise ConfigError(
                    "AZURE_OPENAI_API_KEY (or AZURE_OPENAI_AD_TOKEN) is required for Azure OpenAI"
                )
        if provider == "openai" and not (self.OPENAI_API_KEY or self.OPENAI_BASE_URL):
            raise ConfigError("OPENAI_API_KEY is required when MODEL_PROVIDER is openai")
        return provider


def _signal_url(base: str, signal: str) -> str:
    """The OTLP/HTTP URL of one signal under a base endpoint, as the OpenTelemetry spec builds it."""
    return f"{base.rstrip('/')}/v1/{signal}" if base else ""


def _app_insights_connection_string(raw: str) -> str:
    """The connection string with empty parts dropped, checked as the exporter would check it
    (an instrumentation key that is a GUID), so that a bad one stops the bot at start-up."""
    name = "APPLICATIONINSIGHTS_CONNECTION_STRING"
    parts = [part.strip() for part in raw.split(";") if part.strip()]
    if not parts:
        return ""
    fields: dict[str, str] = {}
    for part in parts:
        key, separator, value = part.partition("=")
        if not separator:
            raise ConfigError(f"{name} must be Key=Value pairs separated by ';'")
        fields[key.strip().lower()] = value.strip()
    if not _INSTRUMENTATION_KEY.fullmatch(fields.get("instrumentationkey", "")):
        raise ConfigError(
            f"{name} must contain InstrumentationKey=<GUID> (copy it from the Application Insights resource)"
        )
    if not fields.get("ingestionendpoint", "https://").startswith(("http://", "https://")):
        raise ConfigError(f"{name}'s IngestionEndpoint must be an http(s) URL")
    return ";".join(parts)
