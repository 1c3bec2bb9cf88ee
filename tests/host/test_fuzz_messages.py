"""Fuzzing /api/messages with generated bodies: no input gets a 5xx, and the bot still answers afterwards.

Hypothesis generates JSON values of every shape, activity-shaped objects whose fields have the wrong
types, unicode, deep nesting and huge strings, raw bytes, and odd Content-Type and Authorization
headers. They go over real HTTP to the real application on loopback. Generated activities can only name
the test's own connector as their serviceUrl, so the bot's replies never leave the machine.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import time
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import StartBot
from tests.support.activities import user_message
from tests.support.connector import RecordingConnector

EXAMPLES_PER_STRATEGY = 1000
ACTIVITY_EXAMPLES = 800
"""Activity-shaped bodies cost the most to generate and start turns; fewer keep the run under 30 s."""
LIMIT = 64 * 1024
"""The bot's MAX_REQUEST_BYTES here: small, so that bodies over it are generated often."""

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
)


def json_values(max_leaves: int) -> st.SearchStrategy[Any]:
    return st.recursive(
        JSON_SCALARS,
        lambda children: (
            st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
        ),
        max_leaves=max_leaves,
    )


JSON_VALUES = json_values(25)
JUNK = json_values(6)
"""A wrong value for a field: any JSON at all (small, so that activities generate quickly)."""
HUGE_TEXT = st.integers(min_value=0, max_value=2 * LIMIT).map(lambda size: "é" * (size // 2))
TEXT = (
    st.text(max_size=200)
    | HUGE_TEXT
    | st.sampled_from(["", " ", "\x00", "\ud7ff", "🙂" * 100, "<script>", "a\u202eb", "\ud800"])
)


def mostly(*values: Any) -> st.SearchStrategy[Any]:
    """One of `values` three times in four, else junk."""
    plausible = st.sampled_from(values)
    return st.one_of(plausible, plausible, plausible, JUNK)


def accounts() -> st.SearchStrategy[Any]:
    account = st.fixed_dictionaries(
        {}, optional={"id": mostly("user-1", ""), "name": TEXT, "role": mostly("user", "bot", "skill")}
    )
    return st.one_of(account, account, account, JUNK)


def activities(service_urls: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects shaped like activities: the required fields mostly plausible (and now and then left
    out), every other field optional, and each either plausible or junk."""
    conversation = st.fixed_dictionaries(
        {"id": mostly("conv-1", "conv-2", "a:1", "")},
        optional={
            "conversationType": mostly("personal", "groupChat", "channel"),
            "isGroup": mostly(True, False),
            "tenantId": mostly("tenant-1"),
        },
    )
    shaped = st.fixed_dictionaries(
        {
            "type": mostly(
                "message",
                "conversationUpdate",
                "typing",
                "invoke",
                "event",
                "messageReaction",
                "installationUpdate",
                "endOfConversation",
                "trace",
                "",
            ),
            "channelId": mostly("msteams", "webchat", "directline", "emulator", "test", "slack", ""),
            # Only the test's connector or a closed loopback port: replies never leave the machine.
            "serviceUrl": st.one_of(
                st.sampled_from(service_urls),
                st.sampled_from(service_urls),
                st.sampled_from(["", "ftp://x", "file:///etc/passwd", "HTTP://", "http:"]),
            ),
            "conversation": st.one_of(conversation, conversation, conversation, JUNK),
        },
        optional={
            "id": mostly("activity-1"),
            "timestamp": mostly("2026-11-21T10:00:00.000Z", "not a date", "2026-13-45T99:99:99Z"),
            "localTimestamp": mostly("2026-11-21T10:00:00.000+02:00"),
            "from": accounts(),
            "recipient": accounts(),
            "text": st.one_of(TEXT, TEXT, TEXT, JUNK),
            "textFormat": mostly("plain", "markdown", "xml"),
            "locale": mostly("en-US", "xx"),
            "entities": st.lists(
                st.fixed_dictionaries(
                    {"type": mostly("streaminfo", "mention", "clientInfo")},
                    optional={"streamId": JUNK, "streamType": JUNK, "streamSequence": JUNK},
                )
                | JUNK,
                max_size=3,
            )
            | JUNK,
            "channelData": JUNK,
            "attachments": st.lists(
                st.fixed_dictionaries({}, optional={"contentType": JUNK, "content": JUNK}), max_size=3
            )
            | JUNK,
            "membersAdded": st.lists(accounts(), max_size=3) | JUNK,
            "membersRemoved": st.lists(accounts(), max_size=3) | JUNK,
            "value": JUNK,
            "name": mostly("adaptiveCard/action", "signin/verifyState", "task/fetch"),
            "replyToId": JUNK,
            "deliveryMode": mostly("normal", "expectReplies", "notification", "ephemeral"),
            "inputHint": mostly("acceptingInput", "ignoringInput"),
            "action": mostly("add", "remove"),
            "reactionsAdded": JUNK,
        },
    )
    dropped = st.sampled_from([None] * 6 + ["type", "channelId", "serviceUrl", "conversation"])
    return st.tuples(shaped, dropped).map(lambda pair: {k: v for k, v in pair[0].items() if k != pair[1]})


AROUND_THE_LIMIT = st.tuples(st.binary(min_size=1, max_size=64), st.integers(LIMIT - 10, LIMIT + 10)).map(
    lambda pair: (pair[0] * (pair[1] // len(pair[0]) + 1))[: pair[1]]
)
"""Bodies just under, at and just over the size limit (built from a short pattern: generating
64 KB byte by byte would take Hypothesis a fifth of a second each)."""
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/json; charset=latin-1",
        "application/json; charset=nonsense",
        "application/json;;;",
        "APPLICATION/JSON",
        "text/plain",
        "multipart/form-data; boundary=x",
        "",
    ]
)
AUTHORIZATIONS = (
    st.none()
    | st.sampled_from(["", "Bearer", "Bearer ", "Bearer a.b.c", "Basic Og=="])
    | st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)
)


class Poster:
    """Blocking HTTP/1.1 to the bot over one kept-alive connection (reopened when the bot closes it)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._connection: http.client.HTTPConnection | None = None
        self.statuses: Counter[int] = Counter()

    def post(self, body: bytes, content_type: str | None, authorization: str | None) -> tuple[int, bytes]:
        headers = {"Content-Length": str(len(body))}
        if content_type is not None:
            headers["Content-Type"] = content_type
        if authorization is not None:
            headers["Authorization"] = authorization
        for attempt in range(2):
            if self._connection is None:
                self._connection = http.client.HTTPConnection(self._host, self._port, timeout=30)
            try:
                self._connection.request("POST", "/api/messages", body=body, headers=headers)
                response = self._connection.getresponse()
                data = response.read()
            except (ConnectionError, http.client.HTTPException):
                self.close()
                if attempt:
                    raise
                continue
            if response.will_close:
                self.close()
            self.statuses[response.status] += 1
            return response.status, data
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def check(status: int, data: bytes) -> None:
    """No 5xx; every refusal is a short JSON reason without a trace."""
    assert status < 500, (status, data[:300])
    if status >= 400:
        assert len(data) < 300, data[:300]
        assert "error" in json.loads(data)
        assert b"Traceback" not in data


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_STRATEGY,
    deadline=None,
    database=None,  # Keep no example database in the work tree.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def fuzz(url: str, service_urls: list[str]) -> Counter[int]:
    """Run every strategy against the bot at `url` (blocking; runs in a worker thread)."""
    poster = Poster(url)

    @FUZZ_SETTINGS
    @given(body=JSON_VALUES, authorization=AUTHORIZATIONS)
    def any_json(body: Any, authorization: str | None) -> None:
        check(*poster.post(json.dumps(body).encode(), "application/json", authorization))

    @settings(FUZZ_SETTINGS, max_examples=ACTIVITY_EXAMPLES)
    @given(activity=activities(service_urls), content_type=CONTENT_TYPES, ensure_ascii=st.booleans())
    def activity_shaped(activity: dict[str, Any], content_type: str, ensure_ascii: bool) -> None:
        body = json.dumps(activity, ensure_ascii=ensure_ascii).encode("utf-8", "surrogatepass")
        check(*poster.post(body, content_type, None))

    @FUZZ_SETTINGS
    @given(
        body=st.binary(max_size=4096) | AROUND_THE_LIMIT,
        content_type=CONTENT_TYPES,
    )
    def raw_bytes(body: bytes, content_type: str) -> None:
        check(*poster.post(body, content_type or None, None))

    try:
        for strategy in (any_json, activity_shaped, raw_bytes):
            started = time.monotonic()
            strategy()
            print(f"fuzz: {strategy.__name__} took {time.monotonic() - started:.1f} s")
    finally:
        poster.close()
    return poster.statuses


async def test_thousands_of_generated_bodies_get_no_5xx_and_the_bot_answers_afterwards(
    start_bot: StartBot, connector: RecordingConnector, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    bot = await start_bot({"OFFLINE_MODEL_TOKENS_PER_SECOND": "100000", "MAX_REQUEST_BYTES": str(LIMIT)})
    started = time.monotonic()
    statuses = await asyncio.to_thread(fuzz, bot.url, [connector.url])
    elapsed = time.monotonic() - started

    total = sum(statuses.values())
    print(f"fuzz: {total} requests in {elapsed:.1f} s: {dict(sorted(statuses.items()))}")
    assert total >= 2 * EXAMPLES_PER_STRATEGY + ACTIVITY_EXAMPLES
    assert not [record for record in caplog.records if record.name == "aiohttp.server"]
    failed_turns = Counter(
        f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}"[:200]
        for record in caplog.records
        if record.name == "host.turn_errors" and record.exc_info
    )
    print(f"fuzz: turns that failed inside the bot: {dict(failed_turns)}")

    async with bot.session.get(f"{bot.url}/healthz") as response:
        assert response.status == 200
    connector.received.clear()
    status, _ = await bot.post_activity(
        user_message("still there?", connector.url, conversation_id="after-fuzz")
    )
    assert status == 201
    await connector.wait_until(
        lambda: any(
            item.activity.get("type") == "message" and "still there?" in item.activity.get("text", "")
            for item in connector.received
        )
    )
