"""Bot configuration, read once from the environment at start-up.

`DefaultConfig` keeps the attribute names the Bot Framework SDK reads (`APP_ID`, `APP_PASSWORD`,
`APP_TYPE`, `APP_TENANTID` and the authentication endpoints), and hands each package its settings as
one typed, frozen object: `host`, `logging`, `model`, `chat`, `knowledge`, `mcp`, `streaming`,
`storage`, `instances`, `safety`, `telemetry` and `notify`. Every value is read and checked here,
so a bad setting stops the bot at start-up with a message that names the variable. The defaults are
the settings classes' own, written once, next to the code they shape; the packages never read the
environment or this module.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TypeVar, cast, get_args

from answers import ChatSettings
from host.settings import HostSettings
from instances import InstanceSettings
from knowledge import KnowledgeSettings
from llm import ModelProvider, ModelSettings
from mcp_tools import McpSettings, parse_servers
from observability.logging import LogFormat, LogLevel, LogSettings
from observability.telemetry_settings import TelemetrySettings
from proactive.settings import NotifySettings
from safety.settings import ModerationService, SafetySettings
from storage import STORAGE_KINDS, StorageSettings
from streaming import AnswerMarks, SensitivityLabel, StreamingSettings

AUTH_ENDPOINT_DEFAULTS = {
    "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": "https://login.botframework.com/v1/.well-known/openidconfiguration",
    "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": "https://api.botframework.com",
    "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL": (
        "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
    ),
    "TO_CHANNEL_FROM_BOT_LOGIN_URL": "https://login.microsoftonline.com/",
    "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": "https://api.botframework.com",
    "OAUTH_URL": "https://api.botframework.com",
}
"""botbuilder's optional authentication endpoint settings (read under these names), with the public
Azure cloud's values that apply to those left unset once any is set: botframework-connector's
`AuthenticationConstants`, written out so that this module imports without botbuilder (the Agents
SDK host reads it too; tests/test_config.py checks they still equal the SDK's)."""

PUBLIC_AZURE_CALLER_ID = "urn:botframework:azure"
"""botbuilder-schema's `CallerIdConstants.public_azure_channel`: the caller of a public cloud's channel."""


Choice = TypeVar("Choice", bound=str)
Number = TypeVar("Number", int, float)
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
        return self._bounded(name, default, float, "a number", minimum, maximum)

    def integer(self, name: str, default: int, *, minimum: int, maximum: int) -> int:
        return self._bounded(name, default, int, "a whole number", minimum, maximum)

    def _bounded(
        self,
        name: str,
        default: Number,
        parse: Callable[[str], Number],
        kind: str,
        minimum: Number,
        maximum: Number,
    ) -> Number:
        """`name` parsed by `parse`, between `minimum` and `maximum`; `default` when unset."""
        raw = self.text(name)
        if not raw:
            return default
        try:
            value = parse(raw)
        except ValueError:
            raise ConfigError(f"{name} must be {kind}, got {raw!r}") from None
        if not minimum <= value <= maximum:
            low, high = (
                f"{bound:g}" if isinstance(bound, float) else str(bound) for bound in (minimum, maximum)
            )
            raise ConfigError(f"{name} must be between {low} and {high}, got {raw!r}")
        return value

    def choice(self, name: str, default: Choice, choices: tuple[Choice, ...]) -> Choice:
        value = self.text(name, default).lower() or default
        if value not in choices:
            raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        return cast(Choice, value)

    def url(self, name: str) -> str:
        value = self.text(name)
        if value and not value.startswith(("http://", "https://")):
            raise ConfigError(f"{name} must be an http(s) URL, got {value!r}")
        return value


class DefaultConfig:
    """All settings of the bot; `DefaultConfig()` reads `os.environ`, tests pass a mapping."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        read = _Env(os.environ if env is None else env)

        self.host = _host(read)

        # Bot identity, under the names the SDK's ConfigurationBotFrameworkAuthentication reads.
        self.APP_ID = read.text("MicrosoftAppId")
        self.APP_PASSWORD = read.text("MicrosoftAppPassword")
        self.APP_TYPE = read.choice(
            "MicrosoftAppType", "MultiTenant", ("multitenant", "singletenant", "userassignedmsi")
        )
        self.APP_TENANTID = read.text("MicrosoftAppTenantId")
        self._check_identity()
        self._read_auth_endpoints(read)

        self.model = _model(read)
        self.storage = _storage(read)
        self.instances = _instances(read)
        self.safety = _safety(read, self.model)
        self.chat = _chat(read)
        self.knowledge = _knowledge(read)
        self.mcp = _mcp(read)
        self.streaming = _streaming(read)
        self.telemetry = _telemetry(read)
        self.notify = _notify(read)
        self.logging = _logging(read, secrets=self._secrets())

    def _secrets(self) -> tuple[str, ...]:
        """Values that must never appear in a log line."""
        values = (
            self.APP_PASSWORD,
            self.model.openai_api_key,
            self.model.azure_api_key,
            self.storage.blob_connection_string,
            self.telemetry.app_insights_connection_string,
            self.notify.api_key,
            *self.mcp.secrets,
        )
        return tuple(value for value in values if value)

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
        self.CALLER_ID = PUBLIC_AZURE_CALLER_ID if parameterized else None


def _host(read: _Env) -> HostSettings:
    """Where the bot listens, what requests it takes, how long /readyz and shutdown wait."""
    default = HostSettings()
    return HostSettings(
        host=read.text("HOST") or default.host,
        port=read.integer("PORT", default.port, minimum=1, maximum=65535),
        max_request_bytes=read.integer(
            "MAX_REQUEST_BYTES", default.max_request_bytes, minimum=1024, maximum=100 * 1024 * 1024
        ),
        ready_timeout=read.number("READY_TIMEOUT_SECONDS", default.ready_timeout, minimum=0.1, maximum=60.0),
        shutdown_grace=read.number(
            "SHUTDOWN_GRACE_SECONDS", default.shutdown_grace, minimum=0.0, maximum=120.0
        ),
    )


def _model(read: _Env) -> ModelSettings:
    """The model: OpenAI (or any OpenAI-compatible server), Azure OpenAI, or the offline stand-in."""
    default = ModelSettings()
    settings = ModelSettings(
        openai_api_key=read.text("OPENAI_API_KEY"),
        openai_base_url=read.url("OPENAI_BASE_URL"),
        openai_model=read.text("OPENAI_MODEL") or default.openai_model,
        azure_endpoint=read.url("AZURE_OPENAI_ENDPOINT"),
        azure_api_key=read.text("AZURE_OPENAI_API_KEY"),
        azure_api_version=read.text("OPENAI_API_VERSION") or default.azure_api_version,
        azure_deployment=read.text("AZURE_OPENAI_DEPLOYMENT"),
        temperature=read.number("MODEL_TEMPERATURE", default.temperature, minimum=0.0, maximum=2.0),
        timeout=read.number("MODEL_TIMEOUT_SECONDS", default.timeout, minimum=1.0, maximum=600.0),
        max_retries=read.integer("MODEL_MAX_RETRIES", default.max_retries, minimum=0, maximum=10),
        breaker_failures=read.integer(
            "MODEL_BREAKER_FAILURES", default.breaker_failures, minimum=1, maximum=1000
        ),
        breaker_cooldown=read.number(
            "MODEL_BREAKER_COOLDOWN_SECONDS", default.breaker_cooldown, minimum=0.1, maximum=3600.0
        ),
        offline_tokens_per_second=read.number(
            "OFFLINE_MODEL_TOKENS_PER_SECOND",
            default.offline_tokens_per_second,
            minimum=0.1,
            maximum=100_000.0,
        ),
    )
    return replace(settings, provider=_model_provider(read, settings))


def _model_provider(read: _Env, settings: ModelSettings) -> ModelProvider:
    """`MODEL_PROVIDER` if set, else the first provider whose settings are present; it must have them."""
    provider = read.choice("MODEL_PROVIDER", "auto", ("auto", *get_args(ModelProvider)))
    if provider == "auto":
        if settings.azure_endpoint:
            provider = "azure"
        elif settings.openai_api_key or settings.openai_base_url:
            provider = "openai"
        else:
            provider = "offline"
    if provider == "azure":
        if not settings.azure_endpoint:
            raise ConfigError("AZURE_OPENAI_ENDPOINT is required when MODEL_PROVIDER is azure")
        if not settings.azure_deployment:
            raise ConfigError("AZURE_OPENAI_DEPLOYMENT is required for Azure OpenAI")
        if not (settings.azure_api_key or read.text("AZURE_OPENAI_AD_TOKEN")):
            raise ConfigError("AZURE_OPENAI_API_KEY (or AZURE_OPENAI_AD_TOKEN) is required for Azure OpenAI")
    if provider == "openai" and not (settings.openai_api_key or settings.openai_base_url):
        raise ConfigError("OPENAI_API_KEY is required when MODEL_PROVIDER is openai")
    return cast(ModelProvider, provider)


def _storage(read: _Env) -> StorageSettings:
    """The conversation state's storage (see storage/), checked for what the chosen one needs."""
    default = StorageSettings()
    settings = StorageSettings(
        kind=read.choice("STORAGE", default.kind, STORAGE_KINDS),
        sqlite_path=read.text("SQLITE_PATH", default.sqlite_path),
        redis_url=read.text("REDIS_URL", default.redis_url),
        redis_key_prefix=read.text("REDIS_KEY_PREFIX", default.redis_key_prefix),
        blob_connection_string=read.text("BLOB_CONNECTION_STRING"),
        blob_container=read.text("BLOB_CONTAINER", default.blob_container),
    )
    if settings.kind == "sqlite" and not settings.sqlite_path:
        raise ConfigError("SQLITE_PATH must not be empty when STORAGE is sqlite")
    if settings.kind == "redis" and not settings.redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(
            f"REDIS_URL must be a redis://, rediss:// or unix:// URL, got {settings.redis_url!r}"
        )
    if settings.kind == "blob" and not (settings.blob_connection_string and settings.blob_container):
        raise ConfigError("BLOB_CONNECTION_STRING and BLOB_CONTAINER are required when STORAGE is blob")
    return settings


def _instances(read: _Env) -> InstanceSettings:
    """How instances sharing Redis agree on who answers each conversation (see instances/; used with
    STORAGE=redis): a lease renewed every heartbeat, and taken over by another instance when it lapses."""
    default = InstanceSettings()
    settings = InstanceSettings(
        lease_seconds=read.number(
            "CONVERSATION_LEASE_SECONDS", default.lease_seconds, minimum=1.0, maximum=60.0
        ),
        heartbeat_seconds=read.number(
            "LEASE_HEARTBEAT_SECONDS", default.heartbeat_seconds, minimum=0.1, maximum=20.0
        ),
    )
    if settings.heartbeat_seconds * 3 > settings.lease_seconds:
        raise ConfigError(
            "LEASE_HEARTBEAT_SECONDS must be at most a third of CONVERSATION_LEASE_SECONDS "
            f"(got {settings.heartbeat_seconds:g} and {settings.lease_seconds:g}): a lease must survive "
            "a missed heartbeat"
        )
    return settings


def _safety(read: _Env, model: ModelSettings) -> SafetySettings:
    """Per-user limits and moderation (see safety/)."""
    default = SafetySettings()
    settings = SafetySettings(
        max_message_chars=read.integer(
            "MAX_MESSAGE_CHARS", default.max_message_chars, minimum=1, maximum=1_000_000
        ),
        messages_per_minute=read.number(
            "USER_MESSAGES_PER_MINUTE", default.messages_per_minute, minimum=0.1, maximum=10_000.0
        ),
        message_burst=read.integer("USER_MESSAGE_BURST", default.message_burst, minimum=1, maximum=10_000),
        max_answers_per_user=read.integer(
            "MAX_ANSWERS_PER_USER", default.max_answers_per_user, minimum=1, maximum=1_000
        ),
        blocked_terms=tuple(term.strip() for term in read.text("BLOCKED_TERMS").split(",") if term.strip()),
        moderation=read.choice("MODERATION", default.moderation, get_args(ModerationService)),
    )
    if settings.moderation == "openai" and model.provider != "openai":
        raise ConfigError("MODERATION=openai needs the OpenAI provider (OPENAI_API_KEY or OPENAI_BASE_URL)")
    return settings


def _chat(read: _Env) -> ChatSettings:
    """The system prompt, the history sent with each question, the bounds of an answer's tool use, and
    the marks on its last message."""
    default = ChatSettings()
    return ChatSettings(
        system_prompt=read.text("SYSTEM_PROMPT") or default.system_prompt,
        history_char_budget=read.integer(
            "HISTORY_CHAR_BUDGET", default.history_char_budget, minimum=100, maximum=2_000_000
        ),
        tool_max_rounds=read.integer("TOOL_MAX_ROUNDS", default.tool_max_rounds, minimum=1, maximum=10),
        tool_result_max_chars=read.integer(
            "TOOL_RESULT_MAX_CHARS", default.tool_result_max_chars, minimum=200, maximum=200_000
        ),
        marks=_answer_marks(read, default.marks),
    )


def _answer_marks(read: _Env, default: AnswerMarks) -> AnswerMarks:
    """What every model answer's last message carries besides its text: the AI label (always), the
    feedback buttons (`FEEDBACK`: Teams' default form, your own, or none) and a sensitivity label."""
    feedback = read.choice("FEEDBACK", default.feedback or "off", ("default", "custom", "off"))
    name = read.text("SENSITIVITY_LABEL_NAME")
    description = read.text("SENSITIVITY_LABEL_DESCRIPTION")
    if description and not name:
        raise ConfigError("SENSITIVITY_LABEL_DESCRIPTION needs SENSITIVITY_LABEL_NAME (the label's name)")
    return replace(
        default,
        feedback=None if feedback == "off" else feedback,
        sensitivity=SensitivityLabel(name, description) if name else default.sensitivity,
    )


def _knowledge(read: _Env) -> KnowledgeSettings:
    """The folder the knowledge search indexes (set but empty: no knowledge search), and where its
    documents can be read, for the citations' links."""
    default = KnowledgeSettings()
    return KnowledgeSettings(
        directory=read.text("KNOWLEDGE_DIR", default.directory),
        base_url=read.url("KNOWLEDGE_BASE_URL"),
    )


def _mcp(read: _Env) -> McpSettings:
    """The MCP servers whose tools the model may call: a JSON object of servers by name (see
    mcp_tools/settings.py), or the path of a file that holds one. Empty: none."""
    name = "MCP_SERVERS"
    value = read.text(name)
    if not value:
        return McpSettings()
    if not value.startswith(("{", "[")):  # JSON (a list, though wrong, gets the JSON error), else a path
        try:
            value = Path(value).read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"{name} is neither a JSON object nor a readable file: {error}") from None
    try:
        return McpSettings(parse_servers(value))
    except ValueError as error:
        raise ConfigError(f"{name}: {error}") from None


def _streaming(read: _Env) -> StreamingSettings:
    """The streaming pace per channel family (seconds between updates; Teams allows one a second),
    and the budgets that keep an answer inside every channel's limits."""
    default = StreamingSettings()
    return StreamingSettings(
        teams_interval=read.number(
            "TEAMS_STREAM_INTERVAL", default.teams_interval, minimum=1.0, maximum=30.0
        ),
        webchat_interval=read.number(
            "WEBCHAT_STREAM_INTERVAL", default.webchat_interval, minimum=0.05, maximum=30.0
        ),
        typing_interval=read.number("TYPING_INTERVAL", default.typing_interval, minimum=0.1, maximum=30.0),
        keepalive_interval=read.number(
            "STREAM_KEEPALIVE_SECONDS", default.keepalive_interval, minimum=0.1, maximum=60.0
        ),
        max_stream_seconds=read.number(
            "STREAM_MAX_SECONDS", default.max_stream_seconds, minimum=1.0, maximum=115.0
        ),
        max_message_utf16=read.integer(
            "MESSAGE_MAX_UTF16", default.max_message_utf16, minimum=100, maximum=40_000
        ),
        delivery_deadline=read.number(
            "DELIVERY_DEADLINE_SECONDS", default.delivery_deadline, minimum=0.5, maximum=120.0
        ),
        model_idle_timeout=read.number(
            "MODEL_IDLE_TIMEOUT_SECONDS", default.model_idle_timeout, minimum=0.1, maximum=600.0
        ),
    )


def _telemetry(read: _Env) -> TelemetrySettings:
    """Telemetry export (see observability/otel/): nothing is exported, or even imported, unless
    Application Insights or an OTLP endpoint is set. The SDK's other OTEL_* variables (headers, batch
    delay, export interval, resource attributes) it reads itself."""
    default = TelemetrySettings()
    otlp_endpoint = read.url("OTEL_EXPORTER_OTLP_ENDPOINT")
    # The bot ships the OTLP/HTTP exporter only; a collector's gRPC port would refuse every export.
    read.choice("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", ("http/protobuf",))
    return TelemetrySettings(
        service_name=read.text("OTEL_SERVICE_NAME") or default.service_name,
        app_insights_connection_string=_app_insights_connection_string(
            read.text("APPLICATIONINSIGHTS_CONNECTION_STRING")
        ),
        otlp_traces_endpoint=read.url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        or _signal_url(otlp_endpoint, "traces"),
        otlp_metrics_endpoint=read.url("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
        or _signal_url(otlp_endpoint, "metrics"),
    )


MIN_NOTIFY_KEY_CHARS = 16


def _notify(read: _Env) -> NotifySettings:
    """The notification API (see proactive/): off without a key; the key must not be guessable."""
    default = NotifySettings()
    api_key = read.text("NOTIFY_API_KEY")
    if api_key and len(api_key) < MIN_NOTIFY_KEY_CHARS:
        raise ConfigError(
            f"NOTIFY_API_KEY must be at least {MIN_NOTIFY_KEY_CHARS} characters: a random secret, "
            "such as the output of `openssl rand -hex 32`"
        )
    return NotifySettings(
        api_key=api_key,
        concurrency=read.integer("NOTIFY_CONCURRENCY", default.concurrency, minimum=1, maximum=100),
    )


def _logging(read: _Env, *, secrets: tuple[str, ...]) -> LogSettings:
    """Text or JSON lines, the lowest level logged, and the values scrubbed from every line."""
    default = LogSettings()
    return LogSettings(
        format=read.choice("LOG_FORMAT", default.format, get_args(LogFormat)),
        level=read.choice("LOG_LEVEL", default.level, get_args(LogLevel)),
        secrets=secrets,
    )


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
