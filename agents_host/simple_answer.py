"""TEMPORARY: a simple delivery of the model's answer through the channel port, until the shared engine.

Streams where the channel can (a Teams personal chat, Web Chat, Direct Line): an informative start,
cumulative updates at the channel's pace, and a final message; elsewhere typing, then one message.
A 429 or transient failure waits as told and goes on; the user pressing Stop ends the stream; a
channel that refuses streaming gets the answer as a message. The lead's engine replaces this module.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import suppress

from llm import ModelError

from .port_stand_in import (
    RETRYABLE,
    ChannelPort,
    ConversationFacts,
    Outgoing,
    SendError,
    SendFailure,
    StreamInfo,
)

INFORMATIVE_TEXT = "Thinking…"
CUT_SHORT = "_(The answer was cut short: the model stopped responding.)_"
STREAMING_CHANNELS = frozenset({"webchat", "directline"})
FINAL_ATTEMPTS = 5
_STOPPED = "stopped by the user"  # what _stream returns when the user pressed Stop


def can_stream(facts: ConversationFacts) -> bool:
    """Whether the conversation can take a streamed answer."""
    if facts.expect_replies:
        return False  # Replies are buffered into the HTTP response: there are no ids to stream with.
    if facts.channel_id == "msteams":
        return facts.conversation_type == "personal"  # Teams refuses stream sends outside 1:1 chats.
    return facts.channel_id in STREAMING_CHANNELS


async def deliver(
    port: ChannelPort, facts: ConversationFacts, pieces: AsyncIterator[str], interval: float
) -> str:
    """Deliver the answer `pieces` make up; return the text the user was given."""
    parts: list[str] = []
    done = asyncio.Event()

    async def read() -> None:
        try:
            async for piece in pieces:
                parts.append(piece)
        finally:
            done.set()

    reader = asyncio.create_task(read())
    try:
        stream_id = await _stream(port, parts, done, interval) if can_stream(facts) else None
        if stream_id is None:
            with suppress(SendError):
                await port.send(Outgoing("typing"))
        await done.wait()
        try:
            await reader
        except ModelError:
            parts.append(f"\n\n{CUT_SHORT}" if parts else CUT_SHORT)
        text = "".join(parts)
        if stream_id is _STOPPED:
            return text  # The user pressed Stop: nothing more goes out on the stream.
        final = StreamInfo("final", stream_id, None) if stream_id else None
        await _send_final(port, Outgoing("message", text, final))
        return text
    finally:
        reader.cancel()


async def _stream(port: ChannelPort, parts: list[str], done: asyncio.Event, interval: float) -> str | None:
    """Stream updates until the model is done: the stream's id to end it with a final message,
    None to answer with a message instead, or `_STOPPED` when the user pressed Stop."""
    try:
        stream_id = await port.send(Outgoing("typing", INFORMATIVE_TEXT, StreamInfo("informative", None, 1)))
    except SendError:
        return None
    if stream_id is None:
        return None
    sequence, sent, wait = 1, "", interval
    while not done.is_set():
        with suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), wait)
        wait = interval
        text = "".join(parts)
        if done.is_set() or not text or text == sent:
            continue
        try:
            await port.send(Outgoing("typing", text, StreamInfo("streaming", stream_id, sequence + 1)))
        except SendError as error:
            if error.failure == SendFailure.STOPPED_BY_USER:
                return _STOPPED
            if error.failure not in RETRYABLE:
                return None  # The stream is over or refused: answer with a message instead.
            await asyncio.sleep(error.retry_after or interval)  # even if the model is done meanwhile
            wait = 0.0  # then try again at once, with the newest text
            continue
        sequence, sent = sequence + 1, text
    return stream_id


async def _send_final(port: ChannelPort, message: Outgoing) -> None:
    """Send the final message, waiting out rate limits and transient failures a few times."""
    for attempt in range(1, FINAL_ATTEMPTS + 1):
        try:
            await port.send(message)
            return
        except SendError as error:
            if error.failure not in RETRYABLE or attempt == FINAL_ATTEMPTS:
                raise
            await asyncio.sleep(error.retry_after or 0.25 * attempt)
