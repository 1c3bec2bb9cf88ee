"""The host over real HTTP: bad requests get a 4xx with a reason, never a 500 or a trace."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

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
        pytest.param("{}".encode("utf-16"), "application/json", 400, "not valid JSON", id="utf-16"),
        # Each of these was a 500 with a stack trace in the log before.
        pytest.param(
            b"[" * 20_000 + b"]" * 20_000, "application/json", 400, "nested too deeply", id="deep-list"
        ),
        pytest.param(
            b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
            "application/json",
            400,
            "nested too deeply",
            id="deep-object",
        ),
        pytest.param(
            b"{}", "application/json; charset=no-such-charset", 400, "not valid JSON", id="unknown-charset"
        ),
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


LIMIT = 4096


@pytest.mark.parametrize("chunked", [False, True], ids=["Content-Length", "chunked"])
async def test_a_body_over_the_limit_gets_413_with_a_short_json_reason(
    start_bot: StartBot, chunked: bool
) -> None:
    bot = await start_bot({"MAX_REQUEST_BYTES": str(LIMIT)})
    body = json.dumps({"type": "message", "text": "x" * LIMIT}).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000]

    async with bot.session.post(
        f"{bot.url}/api/messages",
        data=chunks() if chunked else body,
        headers={"Content-Type": "application/json"},
    ) as response:
        assert response.status == 413
        assert await response.json() == {"error": f"The body is larger than {LIMIT} bytes."}
    async with bot.session.get(f"{bot.url}/healthz") as response:
        assert response.status == 200


async def test_a_body_at_the_limit_is_read(start_bot: StartBot, connector: RecordingConnector) -> None:
    bot = await start_bot({**FAST_OFFLINE, "MAX_REQUEST_BYTES": str(LIMIT)})
    activity = user_message("", connector.url)
    activity["text"] = "x" * (LIMIT - len(json.dumps(activity).encode()))
    assert len(json.dumps(activity).encode()) == LIMIT
    status, _ = await bot.post_activity(activity)
    assert status == 201
    await connector.wait_for_answers()


@pytest.mark.parametrize(
    ("method", "path", "status", "reason"),
    [
        ("GET", "/api/messages", 405, "Method Not Allowed."),
        ("PUT", "/api/messages", 405, "Method Not Allowed."),
        ("GET", "/no/such/page", 404, "Not Found."),
        ("POST", "/healthz", 405, "Method Not Allowed."),
    ],
)
async def test_other_http_errors_are_short_json_too(
    start_bot: StartBot, method: str, path: str, status: int, reason: str
) -> None:
    bot = await start_bot({})
    async with bot.session.request(method, f"{bot.url}{path}") as response:
        assert response.status == status
        assert response.content_type == "application/json"
        assert await response.json() == {"error": reason}
        if status == 405:
            assert response.headers["Allow"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        # Found by the fuzzer: the SDK answers 501 to an invoke no handler answers.
        (None, "The bot does not handle this invoke."),
        ("task/fetch", "The bot does not handle this invoke."),
        ("signin/verifyState", "The bot does not handle this invoke."),
        # Found while writing the above: a 400 whose body (an Exception) cannot be serialized: 500.
        ("adaptiveCard/action", "The invoke is not valid."),
    ],
)
async def test_an_invoke_the_bot_does_not_handle_gets_400_not_a_5xx(
    start_bot: StartBot, connector: RecordingConnector, name: str | None, reason: str
) -> None:
    bot = await start_bot({})
    activity = user_message("", connector.url) | {"type": "invoke"}
    if name:
        activity["name"] = name
    status, body = await bot.post_activity(activity)
    assert (status, body) == (400, {"error": reason})
