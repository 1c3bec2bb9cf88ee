"""Configuration: the SDK's names, the model choice, and start-up errors that name the variable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config import ConfigError, DefaultConfig

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_run_the_offline_model_locally() -> None:
    config = DefaultConfig({})
    assert (config.HOST, config.PORT) == ("localhost", 3978)
    assert (config.APP_ID, config.APP_PASSWORD, config.APP_TYPE) == ("", "", "multitenant")
    assert config.MODEL_PROVIDER == "offline"
    assert (config.STORAGE, config.SQLITE_PATH) == ("sqlite", "data/bot-state.sqlite3")
    assert (config.TEAMS_STREAM_INTERVAL, config.WEBCHAT_STREAM_INTERVAL) == (1.0, 0.5)


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
    assert DefaultConfig(env).MODEL_PROVIDER == provider


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"TEAMS_STREAM_INTERVAL": "0.2"}, "TEAMS_STREAM_INTERVAL"),
        ({"MODEL_TEMPERATURE": "hot"}, "MODEL_TEMPERATURE"),
        ({"HISTORY_CHAR_BUDGET": "-1"}, "HISTORY_CHAR_BUDGET"),
        ({"OPENAI_BASE_URL": "localhost:11434"}, "OPENAI_BASE_URL"),
        ({"MODEL_PROVIDER": "llama"}, "MODEL_PROVIDER"),
        ({"MODEL_PROVIDER": "openai"}, "OPENAI_API_KEY"),
        ({"AZURE_OPENAI_ENDPOINT": "https://example.openai.azure.com"}, "AZURE_OPENAI_DEPLOYMENT"),
        ({"MicrosoftAppType": "Anonymous"}, "MicrosoftAppType"),
        ({"STORAGE": "postgres"}, "STORAGE"),
        ({"STORAGE": "redis", "REDIS_URL": "127.0.0.1:6379"}, "REDIS_URL"),
        ({"STORAGE": "blob"}, "BLOB_CONNECTION_STRING"),
        ({"MicrosoftAppType": "SingleTenant", "MicrosoftAppId": "a"}, "MicrosoftAppPassword"),
        ({"MicrosoftAppType": "UserAssignedMSI", "MicrosoftAppId": "a"}, "MicrosoftAppTenantId"),
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
