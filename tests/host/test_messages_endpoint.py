"""The host over real HTTP: bad requests get a 4xx with a reason, never a 500 or a trace."""

from __future__ import annotations

import json

import pytest

from host.turn_errors import ERROR_REPLY
from llm.offline_model import offline_answer
from tests.conftest import StartBot
from tests.support.activities import user_message
from tests.support.connector import Fault, RecordingConnector

FAST_OFFLINE = {"OFFLINE_MODEL_TOKENS_PER_SECOND": "10000"}


async def test_health_check(start_bot: StartBot) -> None:
    bot = await start_bot({})
    async with bot.session.get(f"{bot.url}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("body", "content_type", "status", "reason"),
    [
        (b"{not json", "application/json", 400, "not valid JSON"),
        (b"\xff\xfe", "application/json", 400, "not valid JSON"),
        (b"[1, 2]", "application/json", 400, "must be a JSON object"),
        (b'"text"', "application/json", 400, "must be a JSON object"),
        (b"{}", "application/json", 400, "lacks type, channelId, serviceUrl, conversation.id"),
        (b'{"type": "message", "conversation": "c"}', "application/json", 400, "not a valid activity"),
        (b'{"type": "message"}', "text/plain", 415, "Content-Type must be application/json"),
        (b'{"type": "message"}', None, 415, "Content-Type must be application/json"),
    ],
)
async def test_malformed_requests_get_a_4xx_with_a_reason(
    start_bot: StartBot, body: bytes, content_type: str | None, status: int, reason: str
) -> None:
    bot = await start_bot({})
    got_status, text = await bot.post_raw(body, content_type)
    assert got_status == status
    assert reason in json.loads(text)["error"]
    assert "Traceback" not in text


async def test_service_url_must_be_http(start_bot: StartBot) -> None:
    bot = await start_bot({})
    status, body = await bot.post_activity(user_message("hi", "file:///etc/passwd"))
    assert (status, body) == (400, {"error": "The activity's serviceUrl is not an http(s) URL."})


async def test_get_is_not_allowed(start_bot: StartBot) -> None:
    bot = await start_bot({})
    async with bot.session.get(f"{bot.url}/api/messages") as response:
        assert response.status == 405


async def test_message_without_text_gets_a_polite_reply(
    start_bot: StartBot, connector: RecordingConnector
) -> None:
    bot = await start_bot(FAST_OFFLINE)
    activity = user_message("", connector.url)
    activity["attachments"] = [{"contentType": "image/png", "contentUrl": "http://127.0.0.1/cat.png"}]
    status, _ = await bot.post_activity(activity)
    assert status == 201
    await connector.wait_for_answers()
    assert [item.activity["text"] for item in connector.received] == [
        "I can only read text for now. Please type your question."
    ]


async def test_failure_while_answering_is_not_a_5xx(
    start_bot: StartBot, connector: RecordingConnector, caplog: pytest.LogCaptureFixture
) -> None:
    connector.faults = [Fault(lambda item: True, 500, times=1000)]
    bot = await start_bot({**FAST_OFFLINE, "DELIVERY_DEADLINE_SECONDS": "1"})
    status, _ = await bot.post_activity(user_message("hi", connector.url, channel_id="emulator"))
    # A 5xx would make Teams send the message again; the failure is logged instead.
    assert status == 201
    await connector.wait_until(
        lambda: any(item.activity.get("text") == ERROR_REPLY for item in connector.received)
    )
    await connector.wait_until(lambda: "could not tell the user" in caplog.text)
    assert "turn failed" in caplog.text


async def test_failed_stream_updates_still_deliver_the_whole_answer(
    start_bot: StartBot, connector: RecordingConnector
) -> None:
    connector.faults = [Fault(lambda item: item.activity["type"] == "typing", 502, times=1000)]
    bot = await start_bot(FAST_OFFLINE)
    await bot.post_activity(user_message("hi", connector.url))
    [answer] = await connector.wait_for_answers()
    assert answer == offline_answer("hi")
    assert not connector.accepted()[-1].stream_info  # a normal message, not the end of a stream
