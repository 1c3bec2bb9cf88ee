"""The load driver: N conversations at once, one message each, then wait for every final message.

Each conversation posts one user message to the bot's `/api/messages`, shaped like a Teams
personal (1:1) chat or a Web Chat conversation, with the local connector as `serviceUrl`. The
message text carries the conversation's tag, which is how the model server's records are matched
to the connector's.

A bot may answer inside the inbound request (the POST returns when the answer is complete) or
acknowledge at once and stream in the background, so the POST's response ends nothing here: the
driver polls the connector until every conversation has its final message or the deadline passes,
then gives the POSTs a short grace to return. Its HTTP client has no connection limit, so all N
requests are in flight together.

Every figure of what the user sees counts from when the POST's bytes went out (`PostResult.sent_at`,
taken by aiohttp's request tracing just before the body is written to the socket): the moment the
user's message reaches the bot. With N requests started together the driver itself takes a while
to send them all; that wait is the driver's, not the bot's, and shows as `connect` (request start
to bytes out), which also holds any wait for the bot to accept the connection.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Literal

import aiohttp

Channel = Literal["msteams", "webchat"]
POLL_INTERVAL = 0.1
POST_GRACE = 5.0


@dataclass
class PostResult:
    """The inbound POST of one conversation: when it started, went out and returned, and how."""

    conversation: str
    started_at: float | None = None
    """When the driver began the request (before it had a connection)."""
    sent_at: float | None = None
    """When the request's bytes were written to the bot's socket; None if they never were."""
    done_at: float | None = None
    """When the bot's HTTP response had been read (or the request failed)."""
    status: int | None = None
    error: str | None = None


def new_conversations(count: int) -> list[str]:
    """`count` fresh conversation ids in the tag format the model server looks for."""
    return [f"bench-{secrets.token_hex(6)}" for _ in range(count)]


def user_message(conversation: str, channel: Channel, service_url: str) -> dict[str, Any]:
    """The user's message as the channel posts it to the bot."""
    activity: dict[str, Any] = {
        "type": "message",
        "id": f"msg-{conversation}",
        "timestamp": "2026-11-21T10:00:00.000Z",
        "channelId": channel,
        "serviceUrl": service_url,
        "from": {"id": f"user-{conversation}", "name": "Benchmark User"},
        "recipient": {"id": "bot", "name": "Bot"},
        "conversation": {"id": conversation},
        "text": f"Tell me about streaming ({conversation}).",
        "textFormat": "plain",
        "locale": "en-US",
    }
    if channel == "msteams":
        activity["conversation"].update(conversationType="personal", tenantId="bench-tenant")
        activity["channelData"] = {"tenant": {"id": "bench-tenant"}}
    return activity


async def _body_sent(
    _session: aiohttp.ClientSession, context: SimpleNamespace, _params: aiohttp.TraceRequestChunkSentParams
) -> None:
    """aiohttp calls this just before it writes a body chunk (with the headers, for a small body)."""
    result: PostResult | None = context.trace_request_ctx
    if result is not None and result.sent_at is None:
        result.sent_at = time.monotonic()


def client_session() -> aiohttp.ClientSession:
    """An HTTP client with no connection limit, which stamps each POST's send time (see `PostResult`)."""
    tracing = aiohttp.TraceConfig()
    tracing.on_request_chunk_sent.append(_body_sent)
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), trace_configs=[tracing])


async def _post(
    session: aiohttp.ClientSession, bot_url: str, activity: dict[str, Any], result: PostResult
) -> None:
    result.started_at = time.monotonic()
    try:
        async with session.post(
            f"{bot_url}/api/messages", json=activity, trace_request_ctx=result
        ) as response:
            await response.read()
            result.status = response.status
    except (aiohttp.ClientError, OSError) as error:
        result.error = type(error).__name__
    finally:
        result.done_at = time.monotonic()


async def connector_status(session: aiohttp.ClientSession, connector_url: str) -> dict[str, int]:
    """How many conversations have their first sign (`signed`) and their final message (`finished`)."""
    async with session.get(f"{connector_url}/bench/status") as response:
        return dict(await response.json())


async def finished_count(session: aiohttp.ClientSession, connector_url: str) -> int:
    """How many conversations have their final message at the connector."""
    return (await connector_status(session, connector_url))["finished"]


async def wait_for_first_signs(
    session: aiohttp.ClientSession, connector_url: str, count: int, deadline: float
) -> None:
    """Wait (at most `deadline` s) until `count` conversations have shown the user a first sign."""
    give_up_at = time.monotonic() + deadline
    while time.monotonic() < give_up_at:
        await asyncio.sleep(POLL_INTERVAL)
        if (await connector_status(session, connector_url))["signed"] >= count:
            return


async def drive(
    session: aiohttp.ClientSession,
    bot_url: str,
    connector_url: str,
    conversations: list[str],
    channel: Channel,
    deadline: float,
) -> list[PostResult]:
    """Open all `conversations` at once and wait (at most `deadline` s) for every final message."""
    results = [PostResult(conversation) for conversation in conversations]
    tasks = [
        asyncio.create_task(
            _post(session, bot_url, user_message(result.conversation, channel, connector_url), result)
        )
        for result in results
    ]
    give_up_at = time.monotonic() + deadline
    while time.monotonic() < give_up_at:
        await asyncio.sleep(POLL_INTERVAL)
        if await finished_count(session, connector_url) >= len(conversations):
            break
    pending = [task for task in tasks if not task.done()]
    if pending:
        _, still_pending = await asyncio.wait(
            pending, timeout=min(POST_GRACE, max(0.0, give_up_at - time.monotonic()))
        )
        for task in still_pending:
            task.cancel()
        await asyncio.gather(*still_pending, return_exceptions=True)
    for result in results:
        if result.status is None and result.error is None:
            result.error = "unfinished"
    return results
