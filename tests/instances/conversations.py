"""What the user saw of a conversation (from the recording connector) and what the bot kept of it
(its history in Redis), for the tests of several instances."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from storage import RedisStorage
from tests.support.connector import Received, RecordingConnector, is_message
from tests.support.redis_servers import SHARED_REDIS_URL


def conversation_of(item: Received) -> str:
    """The conversation id of a request to /v3/conversations/{id}/activities[/{reply_to}]."""
    return item.path.split("/")[3]


@dataclass
class Stream:
    """One stream the channel accepted: its start, its updates and its final, if it got one."""

    id: str
    conversation: str
    start: Received
    updates: list[Received] = field(default_factory=list)
    final: Received | None = None

    @property
    def last_text(self) -> str:
        """The stream's text before its final: what its last streaming update showed."""
        texts = [item.activity.get("text", "") for item in (self.start, *self.updates) if _streaming(item)]
        return texts[-1] if texts else ""


def _streaming(item: Received) -> bool:
    info = item.stream_info
    return bool(info and info.get("streamType") == "streaming")


def streams(connector: RecordingConnector, conversation: str | None = None) -> list[Stream]:
    """The accepted streams, in the order they started (of one conversation, if given)."""
    found: dict[str, Stream] = {}
    for item in connector.accepted():
        info = item.stream_info
        if info is None or (conversation is not None and conversation_of(item) != conversation):
            continue
        stream_id = info.get("streamId")
        if stream_id is None:
            found[item.reply_id or ""] = Stream(item.reply_id or "", conversation_of(item), item)
        elif info.get("streamType") == "final":
            found[stream_id].final = item
        else:
            found[stream_id].updates.append(item)
    return list(found.values())


def open_streams(connector: RecordingConnector) -> list[Stream]:
    """Streams the channel started that never got their final."""
    return [stream for stream in streams(connector) if stream.final is None]


def messages(connector: RecordingConnector, conversation: str) -> list[Received]:
    """The plain messages (not streams) the channel accepted in `conversation`."""
    return [
        item for item in connector.accepted() if is_message(item) and conversation_of(item) == conversation
    ]


def streaming_text_shown(connector: RecordingConnector, conversation: str) -> bool:
    """Whether an answer's text is streaming in `conversation` (an update with text was accepted)."""
    return any(
        _streaming(item)
        for stream in streams(connector, conversation)
        for item in (stream.start, *stream.updates)
    )


async def stored_history(prefix: str, conversation: str) -> list[dict[str, Any]]:
    """The conversation's history as the bots saved it in the shared Redis (Teams' state key)."""
    key = f"msteams/conversations/{conversation}"
    storage = RedisStorage(SHARED_REDIS_URL, key_prefix=prefix)
    try:
        stored = await storage.read([key])
    finally:
        await storage.close()
    return list(stored.get(key, {}).get("history", []))


async def eventually(condition: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Wait until `condition()` holds (state in Redis, which tells no one when it changes), checked
    every 50 ms; fail after `within` seconds."""
    async with asyncio.timeout(within):
        while True:
            if await condition():
                return
            await asyncio.sleep(0.05)


async def saved_history(
    prefix: str, conversation: str, entries: int, within: float = 10.0
) -> list[dict[str, Any]]:
    """The conversation's history once it holds `entries` entries (the answers' turns save after their
    final message); fails if it does not within `within` seconds."""
    history: list[dict[str, Any]] = []

    async def saved() -> bool:
        nonlocal history
        history = await stored_history(prefix, conversation)
        return len(history) >= entries

    await eventually(saved, within)
    return history
