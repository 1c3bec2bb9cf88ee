"""Logs: one JSON object a line with the turn's ids when asked, and never a secret or user text."""

from __future__ import annotations

import json
import logging
import pathlib
from collections.abc import Iterator

import pytest

from observability import LogSettings, configure_logging
from tests.support.activities import user_message
from tests.support.bot_process import BotProcess
from tests.support.connector import RecordingConnector
from tests.support.model_server import ModelServer


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_secrets_and_tokens_are_scrubbed(restore_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(LogSettings(format="text", level="info", secrets=("app-password-123456",)))
    log = logging.getLogger("test.redaction")
    log.info("password is app-password-123456")
    log.info("header Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload.signature")
    log.info("blob DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0a2V5;EndpointSuffix=x")
    log.info("redis url with api_key=abcdef123456 and password=hunter2hunter2")
    output = capsys.readouterr().err
    for secret in (
        "app-password-123456",
        "eyJhbGciOiJSUzI1NiJ9",
        "c2VjcmV0a2V5",
        "abcdef123456",
        "hunter2hunter2",
    ):
        assert secret not in output
    assert output.count("***") == 5


async def test_json_lines_carry_turn_ids_and_no_key_or_user_text(
    model_server: ModelServer, connector: RecordingConnector, tmp_path: pathlib.Path
) -> None:
    key = "sk-test-0123456789abcdef"
    env = {
        "OPENAI_BASE_URL": f"{model_server.url}/v1",
        "OPENAI_API_KEY": key,
        "LOG_FORMAT": "json",
        "SQLITE_PATH": str(tmp_path / "state.sqlite3"),
    }
    question = user_message("a private question about my salary", connector.url)
    async with BotProcess(env) as bot:
        await bot.post(question)
        await connector.wait_for_answers()
        returncode, log = await bot.terminate()
    assert returncode == 0
    records = [json.loads(line) for line in log.splitlines() if line.strip()]
    answered = [record for record in records if record["message"].startswith("answer complete")]
    assert len(answered) == 1
    assert answered[0]["conversation_id"] == question["conversation"]["id"]
    assert answered[0]["activity_id"] == question["id"]
    assert key not in log
    assert "salary" not in log
