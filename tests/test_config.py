"""Configuration: the SDK's names, the model choice, and start-up errors that name the variable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config import AUTH_ENDPOINT_DEFAULTS, PUBLIC_AZURE_CALLER_ID, ConfigError, DefaultConfig
from streaming import AnswerMarks, SensitivityLabel

ROOT = Path(__file__).resolve().parent.parent
IKEY = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
INGESTION = "https://westeurope-5.in.applicationinsights.azure.com/"


def test_defaults_run_the_offline_model_locally() -> None:
    config = DefaultConfig({})
    assert (config.host.host, config.host.port) == ("localhost", 3978)
    assert (config.APP_ID, config.APP_PASSWORD, config.APP_TYPE) == ("", "", "multitenant")
    assert config.model.provider == "offline"
    assert (config.storage.kind, config.storage.sqlite_path) == ("sqlite", "data/bot-state.sqlite3")
    assert (config.streaming.teams_interval, config.streaming.webchat_interval) == (1.0, 0.5)


def test_the_conversation_lease_is_ten_seconds_renewed_every_three_by_default() -> None:
    instances = DefaultConfig({}).instances
    assert (instances.lease_seconds, instances.heartbeat_seconds) == (10.0, 3.0)
    shorter = DefaultConfig({"CONVERSATION_LEASE_SECONDS": "3", "LEASE_HEARTBEAT_SECONDS": "1"}).instances
    assert (shorter.lease_seconds, shorter.heartbeat_seconds) == (3.0, 1.0)


def test_model_answers_carry_the_ai_label_and_teams_feedback_by_default() -> None:
    assert DefaultConfig({}).chat.marks == AnswerMarks(ai_generated=True, feedback="default")


def test_feedback_and_the_sensitivity_label_are_configured() -> None:
    env = {
        "FEEDBACK": " Custom ",
        "SENSITIVITY_LABEL_NAME": "Confidential",
        "SENSITIVITY_LABEL_DESCRIPTION": "For staff only",
    }
    marks = DefaultConfig(env).chat.marks
    assert (marks.ai_generated, marks.feedback) == (True, "custom")
    assert marks.sensitivity == SensitivityLabel("Confidential", "For staff only")
    assert DefaultConfig({"FEEDBACK": "off"}).chat.marks.feedback is None


def test_bot_identity_uses_the_sdk_names() -> None:
    config = DefaultConfig(
        {
            "MicrosoftAppId": "app-id",
            "MicrosoftAppPassword": "secret",
            "MicrosoftAppType": "SingleTenant",
            "MicrosoftAppTenantId": "tenant",
        }
    )
    assert (config.APP_ID, config.APP_PASSWORD, config.APP_TYPE, config.APP_TENANTID) == (
        "app-id",
        "secret",
        "singletenant",
        "tenant",
    )


def test_the_written_out_endpoint_defaults_are_the_sdks_own() -> None:
    """config.py spells botbuilder's public-cloud constants out, so that it imports without botbuilder."""
    from botbuilder.schema import CallerIdConstants
    from botframework.connector.auth import AuthenticationConstants as Sdk

    assert AUTH_ENDPOINT_DEFAULTS == {
        "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": Sdk.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
        "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": Sdk.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
        "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL": Sdk.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
        "TO_CHANNEL_FROM_BOT_LOGIN_URL": Sdk.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX,
        "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": Sdk.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
        "OAUTH_URL": Sdk.OAUTH_URL,
    }
    assert PUBLIC_AZURE_CALLER_ID == CallerIdConstants.public_azure_channel
    parameterized = DefaultConfig({"TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": "https://issuer.example"})
    assert parameterized.CALLER_ID == CallerIdConstants.public_azure_channel
    assert parameterized.OAUTH_URL == Sdk.OAUTH_URL


@pytest.mark.parametrize(
    ("env", "provider"),
    [
        ({"OPENAI_API_KEY": "sk-test"}, "openai"),
        ({"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"}, "openai"),
        (
            {
                "AZURE_OPENAI_ENDPOINT": "https://example.openai.azure.com",
                "AZURE_OPENAI_API_KEY": "k",
                "AZURE_OPENAI_DEPLOYMENT": "d",
            },
            "azure",
        ),
        ({"OPENAI_API_KEY": "sk-test", "MODEL_PROVIDER": "offline"}, "offline"),
    ],
)
def test_model_provider_follows_the_settings(env: dict[str, str], provider: str) -> None:
    assert DefaultConfig(env).model.provider == provider


def test_telemetry_is_exported_nowhere_by_default() -> None:
    telemetry = DefaultConfig({}).telemetry
    assert (telemetry.app_insights_connection_string, telemetry.otlp_traces_endpoint) == ("", "")
    assert telemetry.otlp_metrics_endpoint == ""
    assert telemetry.service_name == "streaming-llm-bot"


def test_otlp_urls_are_built_as_the_opentelemetry_spec_says() -> None:
    base = DefaultConfig({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"}).telemetry
    assert base.otlp_traces_endpoint == "http://collector:4318/v1/traces"
    assert base.otlp_metrics_endpoint == "http://collector:4318/v1/metrics"
    # A signal's own endpoint is used as it is, and wins over the base.
    own = DefaultConfig(
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://traces.example/ingest",
        }
    ).telemetry
    assert own.otlp_traces_endpoint == "https://traces.example/ingest"
    assert own.otlp_metrics_endpoint == "http://collector:4318/v1/metrics"
    only_traces = DefaultConfig({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"})
    assert only_traces.telemetry.otlp_metrics_endpoint == ""


def test_the_app_insights_connection_string_is_kept_tidy_and_secret() -> None:
    raw = f" InstrumentationKey={IKEY};IngestionEndpoint={INGESTION}; "
    config = DefaultConfig({"APPLICATIONINSIGHTS_CONNECTION_STRING": raw})
    tidy = f"InstrumentationKey={IKEY};IngestionEndpoint={INGESTION}"
    assert config.telemetry.app_insights_connection_string == tidy
    assert tidy in config.logging.secrets


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"TEAMS_STREAM_INTERVAL": "0.2"}, "TEAMS_STREAM_INTERVAL"),
        ({"MODEL_TEMPERATURE": "hot"}, "MODEL_TEMPERATURE"),
        ({"HISTORY_CHAR_BUDGET": "-1"}, "HISTORY_CHAR_BUDGET"),
        ({"TOOL_MAX_ROUNDS": "0"}, "TOOL_MAX_ROUNDS"),
        ({"TOOL_RESULT_MAX_CHARS": "lots"}, "TOOL_RESULT_MAX_CHARS"),
        ({"OPENAI_BASE_URL": "localhost:11434"}, "OPENAI_BASE_URL"),
        ({"MODEL_PROVIDER": "llama"}, "MODEL_PROVIDER"),
        ({"MODEL_PROVIDER": "openai"}, "OPENAI_API_KEY"),
        ({"AZURE_OPENAI_ENDPOINT": "https://example.openai.azure.com"}, "AZURE_OPENAI_DEPLOYMENT"),
        ({"MicrosoftAppType": "Anonymous"}, "MicrosoftAppType"),
        ({"STORAGE": "postgres"}, "STORAGE must be one of memory, sqlite, blob, redis, got 'postgres'"),
        ({"SQLITE_PATH": ""}, "SQLITE_PATH must not be empty when STORAGE is sqlite"),
        ({"STORAGE": "redis", "REDIS_URL": "127.0.0.1:6379"}, "REDIS_URL must be a redis://"),
        ({"STORAGE": "blob"}, "BLOB_CONNECTION_STRING and BLOB_CONTAINER are required when STORAGE is blob"),
        ({"STORAGE": "blob", "BLOB_CONNECTION_STRING": "x", "BLOB_CONTAINER": ""}, "BLOB_CONTAINER"),
        ({"CONVERSATION_LEASE_SECONDS": "0.5"}, "CONVERSATION_LEASE_SECONDS must be between 1 and 60"),
        (
            {"CONVERSATION_LEASE_SECONDS": "6", "LEASE_HEARTBEAT_SECONDS": "3"},
            "LEASE_HEARTBEAT_SECONDS must be at most a third of CONVERSATION_LEASE_SECONDS",
        ),
        ({"MicrosoftAppType": "SingleTenant", "MicrosoftAppId": "a"}, "MicrosoftAppPassword"),
        ({"MicrosoftAppType": "UserAssignedMSI", "MicrosoftAppId": "a"}, "MicrosoftAppTenantId"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, "OTEL_EXPORTER_OTLP_ENDPOINT"),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "collector"}, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
        ({"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "OTEL_EXPORTER_OTLP_PROTOCOL"),
        ({"FEEDBACK": "thumbs"}, "FEEDBACK must be one of default, custom, off"),
        ({"SENSITIVITY_LABEL_DESCRIPTION": "Staff only"}, "SENSITIVITY_LABEL_NAME"),
        ({"APPLICATIONINSIGHTS_CONNECTION_STRING": "0f1e2d3c"}, "APPLICATIONINSIGHTS_CONNECTION_STRING"),
        (
            {"APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=my-key"},
            "APPLICATIONINSIGHTS_CONNECTION_STRING",
        ),
        (
            {"APPLICATIONINSIGHTS_CONNECTION_STRING": f"InstrumentationKey={IKEY};IngestionEndpoint=west"},
            "APPLICATIONINSIGHTS_CONNECTION_STRING",
        ),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        DefaultConfig(env)


def test_bot_refuses_to_start_on_a_bad_setting() -> None:
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env={"PATH": "", "PORT": "eighty"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().endswith("Configuration error: PORT must be a whole number, got 'eighty'")
    assert "Traceback" not in result.stderr
