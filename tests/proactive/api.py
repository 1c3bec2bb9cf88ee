"""The notification API as an operator's script calls it, and the events that tell the bot about
conversations (install, welcome, removal), as channels send them."""

from __future__ import annotations

import json
import uuid
from typing import Any

from app import NOTIFIER, REFERENCES
from tests.support.activities import BOT
from tests.support.bot import BotClient
from tests.support.connector import Received, RecordingConnector

KEY = "proactive-tests-key-5f0c9d2e8a"
NOTIFY_ENV = {"NOTIFY_API_KEY": KEY}


async def notify(
    bot: BotClient,
    body: object = None,
    *,
    key: str | None = KEY,
    authorization: str | None = None,
    data: bytes | None = None,
    content_type: str = "application/json",
) -> tuple[int, Any]:
    """POST /api/notify with `body` as JSON (or raw `data`); the status and the JSON answer."""
    headers = {"Content-Type": content_type}
    if authorization is not None:
        headers["Authorization"] = authorization
    elif key is not None:
        headers["Authorization"] = f"Bearer {key}"
    payload = data if data is not None else _json_bytes(body)
    async with bot.session.post(f"{bot.url}/api/notify", data=payload, headers=headers) as response:
        answer = await response.json() if response.content_type == "application/json" else None
        return response.status, answer


async def job_record(bot: BotClient, job_id: str, *, key: str | None = KEY) -> tuple[int, Any]:
    """GET /api/notify/{job}: the status and the JSON answer."""
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    async with bot.session.get(f"{bot.url}/api/notify/{job_id}", headers=headers) as response:
        answer = await response.json() if response.content_type == "application/json" else None
        return response.status, answer


async def finished_job(bot: BotClient, job_id: str) -> dict[str, Any]:
    """The record of job `job_id` once every job of the bot has finished."""
    await bot.app[NOTIFIER].wait_idle()
    status, record = await job_record(bot, job_id)
    assert status == 200, record
    assert record["state"] == "finished", record
    return record


async def references_saved(bot: BotClient) -> None:
    """Wait until the references the turns so far offered are written (turns do not wait for it)."""
    await bot.app[REFERENCES].wait_idle()


def results(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A job record's result per conversation id, without the id."""
    return {entry["id"]: {k: v for k, v in entry.items() if k != "id"} for entry in record["conversations"]}


def conversation_event(
    kind: str,
    service_url: str,
    conversation_id: str,
    *,
    channel_id: str = "msteams",
    conversation_type: str | None = "personal",
    action: str | None = None,
    added: list[str] | None = None,
    removed: list[str] | None = None,
) -> dict[str, Any]:
    """An `installationUpdate` (with `action`) or `conversationUpdate` (members `added`, `removed`)."""
    conversation: dict[str, Any] = {"id": conversation_id}
    if conversation_type:
        conversation["conversationType"] = conversation_type
    activity: dict[str, Any] = {
        "type": kind,
        "id": f"event-{uuid.uuid4().hex[:8]}",
        "channelId": channel_id,
        "serviceUrl": service_url,
        "from": {"id": "user-1", "name": "Test User"},
        "recipient": BOT,
        "conversation": conversation,
    }
    if action:
        activity["action"] = action
    if added:
        activity["membersAdded"] = [{"id": member} for member in added]
    if removed:
        activity["membersRemoved"] = [{"id": member} for member in removed]
    return activity


async def install(
    bot: BotClient,
    connector: RecordingConnector,
    conversation_id: str,
    *,
    channel_id: str = "msteams",
    conversation_type: str | None = "personal",
) -> None:
    """The bot is installed in a conversation (Teams' `installationUpdate` add), which stores it (once
    this returns)."""
    event = conversation_event(
        "installationUpdate",
        connector.url,
        conversation_id,
        channel_id=channel_id,
        conversation_type=conversation_type,
        action="add",
    )
    status, _ = await bot.post_activity(event)
    assert status == 201
    await references_saved(bot)


def sent_to(connector: RecordingConnector, conversation_id: str) -> list[Received]:
    """What the bot sent to `conversation_id`, answered or refused."""
    prefix = f"/v3/conversations/{conversation_id}/activities"
    return [item for item in connector.received if item.path.startswith(prefix)]


def _json_bytes(body: object) -> bytes:
    return json.dumps(body).encode()
