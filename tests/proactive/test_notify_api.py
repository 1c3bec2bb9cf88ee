"""The notification API's door: the key, and every wrong body refused with its reason (never a 500)."""

from __future__ import annotations

from typing import Any

import pytest

from app import NOTIFIER
from config import ConfigError, DefaultConfig
from tests.conftest import StartBot
from tests.proactive.api import KEY, NOTIFY_ENV, install, job_record, notify
from tests.support.bot import BotClient
from tests.support.connector import RecordingConnector

VALID = {"conversations": ["conv-a"], "text": "Hello."}


async def nothing_was_sent(bot: BotClient, connector: RecordingConnector) -> bool:
    """No job started and nothing went to the channel (the install's own turn sends nothing)."""
    await bot.app[NOTIFIER].wait_idle()
    return connector.received == []


async def test_without_a_key_configured_the_api_does_not_exist(start_bot: StartBot) -> None:
    bot = await start_bot({})
    assert NOTIFIER not in bot.app
    status, answer = await notify(bot, VALID)
    assert (status, answer) == (404, {"error": "Not Found."})
    status, _ = await job_record(bot, "0" * 32)
    assert status == 404


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong-key-of-the-same-size",
        f"Bearer {KEY}x",
        f"Bearer {KEY[:-1]}",
        f"Basic {KEY}",
        KEY,
        "Bearer k\u00e9y-with-non-ascii-characters",
    ],
)
async def test_a_missing_or_wrong_key_gets_401_and_nothing_is_sent(
    start_bot: StartBot, connector: RecordingConnector, authorization: str | None
) -> None:
    bot = await start_bot(NOTIFY_ENV)
    await install(bot, connector, "conv-a")
    status, answer = await notify(bot, VALID, key=None, authorization=authorization)
    assert status == 401
    assert "Bearer" in answer["error"]
    assert await nothing_was_sent(bot, connector)
    status, _ = await job_record(bot, "0" * 32, key="wrong-key-of-the-same-size")
    assert status == 401


async def test_the_key_is_taken_with_any_case_of_bearer(
    start_bot: StartBot, connector: RecordingConnector
) -> None:
    bot = await start_bot(NOTIFY_ENV)
    await install(bot, connector, "conv-a")
    status, _ = await notify(bot, VALID, key=None, authorization=f"bearer {KEY}")
    assert status == 202


def test_a_short_key_stops_the_bot_at_start_up() -> None:
    with pytest.raises(ConfigError, match="NOTIFY_API_KEY must be at least 16 characters"):
        DefaultConfig({"NOTIFY_API_KEY": "secret"})
    assert DefaultConfig({"NOTIFY_API_KEY": KEY}).notify.api_key == KEY
    assert KEY in DefaultConfig({"NOTIFY_API_KEY": KEY}).logging.secrets  # never logged


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ([VALID], "must be a JSON object"),
        ("text", "must be a JSON object"),
        (None, "must be a JSON object"),
        ({**VALID, "urgent": True}, "Unknown fields: urgent"),
        ({"text": "Hello."}, 'Say where to send: "conversations": [ids], or "all": true'),
        ({**VALID, "all": True}, 'either "conversations" or "all", not both'),
        ({"all": False, "text": "Hello."}, '"all" must be true'),
        ({"all": "yes", "text": "Hello."}, '"all" must be true'),
        ({"all": 1, "text": "Hello."}, '"all" must be true'),
        ({"conversations": [], "text": "Hello."}, '"conversations" must be a non-empty list'),
        ({"conversations": "conv-a", "text": "Hello."}, '"conversations" must be a non-empty list'),
        ({"conversations": {"id": "conv-a"}, "text": "Hello."}, '"conversations" must be a non-empty list'),
        ({"conversations": [1], "text": "Hello."}, "a non-empty string"),
        ({"conversations": [""], "text": "Hello."}, "a non-empty string"),
        ({"conversations": [None], "text": "Hello."}, "a non-empty string"),
        ({"conversations": ["conv-a", "conv-a"], "text": "Hello."}, "names conv-a more than once"),
        ({"conversations": ["conv-a"]}, 'either "text"'),
        ({**VALID, "prompt": "Summarize."}, 'either "text"'),
        ({"conversations": ["conv-a"], "text": ""}, '"text" must be a non-empty string'),
        ({"conversations": ["conv-a"], "text": "   "}, '"text" must be a non-empty string'),
        ({"conversations": ["conv-a"], "text": 42}, '"text" must be a non-empty string'),
        ({"conversations": ["conv-a"], "text": ["Hello."]}, '"text" must be a non-empty string'),
        ({"conversations": ["conv-a"], "prompt": None}, '"prompt" must be a non-empty string'),
        ({"conversations": ["conv-a"], "text": "x" * 12_001}, "longer than one message may be"),
        ({"conversations": ["conv-a"], "text": "\U0001f600" * 6_001}, "longer than one message may be"),
        ({"conversations": ["conv-a"], "prompt": "x" * 4_001}, '"prompt" is longer than 4000 characters'),
        ({"conversations": ["conv-a", "conv-nowhere"], "text": "Hello."}, "Unknown conversations"),
    ],
)
async def test_a_bad_body_gets_400_with_the_reason_and_nothing_is_sent(
    start_bot: StartBot, connector: RecordingConnector, body: Any, reason: str
) -> None:
    bot = await start_bot(NOTIFY_ENV)
    await install(bot, connector, "conv-a")
    status, answer = await notify(bot, body)
    assert status == 400, answer
    assert reason in answer["error"]
    assert await nothing_was_sent(bot, connector)


async def test_unknown_conversations_are_named_in_the_refusal(start_bot: StartBot) -> None:
    bot = await start_bot(NOTIFY_ENV)
    ids = [f"conv-{number:02d}" for number in range(13)]
    status, answer = await notify(bot, {"conversations": ids, "text": "Hello."})
    assert status == 400
    assert "conv-00, conv-01" in answer["error"] and "conv-09 and 3 more" in answer["error"]


@pytest.mark.parametrize(
    ("data", "content_type", "status", "reason"),
    [
        (b'{"conversations": ["conv-a"], "text": ', "application/json", 400, "not valid JSON"),
        (b"\xff\xfe{}", "application/json", 400, "not valid JSON"),
        (b"", "application/json", 400, "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "nested too deeply"),
        (b'{"all": true, "text": "hi"}', "application/json; charset=no-such-charset", 400, "not valid JSON"),
        (b'{"all": true, "text": "hi"}', "text/plain", 415, "Content-Type must be application/json"),
        (b"x" * 300_000, "application/json", 413, "too large"),
    ],
)
async def test_a_body_that_is_not_json_is_refused_with_the_reason(
    start_bot: StartBot,
    connector: RecordingConnector,
    data: bytes,
    content_type: str,
    status: int,
    reason: str,
) -> None:
    bot = await start_bot(NOTIFY_ENV)
    answer_status, answer = await notify(bot, data=data, content_type=content_type)
    assert (answer_status, reason in answer["error"]) == (status, True), answer
    assert await nothing_was_sent(bot, connector)


@pytest.mark.parametrize("job_id", ["0" * 32, "not-a-job", "..%2Freadyz", "A" * 32, "0" * 33])
async def test_an_unknown_job_is_404(start_bot: StartBot, job_id: str) -> None:
    bot = await start_bot(NOTIFY_ENV)
    status, answer = await job_record(bot, job_id)
    assert status == 404
    assert answer["error"]


async def test_while_shutting_down_no_job_is_taken(
    start_bot: StartBot, connector: RecordingConnector
) -> None:
    bot = await start_bot(NOTIFY_ENV)
    await install(bot, connector, "conv-a")
    await bot.app.shutdown()  # what SIGTERM starts: no new turns, no new jobs
    status, answer = await notify(bot, VALID)
    assert status == 503 and "shutting down" in answer["error"]
    assert connector.received == []
