"""A local OpenAI-compatible chat completions server that replays recorded streamed bodies.

Where tests/support/model_server.py streams a scripted answer in one house format, this server
sends bytes exactly as given: the shapes real servers send (see tests/llm/compat/recordings.py),
with pauses between them, and endings a server or network may choose: a clean end of the body,
or a connection dropped mid-body. It speaks the OpenAI and the Azure OpenAI routes and records
every request body, so a test can see what the bot sent the model (its history) next time.
"""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Pause:
    """Send nothing for `seconds`: a model thinking, or a network stall."""

    seconds: float


class Ending(Enum):
    """How a recorded body ends."""

    CLOSE = "close"
    """The body ends properly (the last chunk of a chunked body), whatever was sent before."""
    DROP = "drop"
    """The connection closes mid-body, as when a server or a proxy on the way goes away."""


@dataclass(frozen=True)
class Recording:
    """A streamed response as a server sent it: bytes written in turn, pauses between, an ending."""

    parts: tuple[bytes | Pause, ...]
    ending: Ending = Ending.CLOSE
    content_encoding: str | None = None
    """`gzip` or `deflate`: sent compressed, each part flushed at once, as a proxy that
    compresses event streams does."""

    def body(self) -> bytes:
        """All the bytes of the body, without the pauses."""
        return b"".join(part for part in self.parts if isinstance(part, bytes))


@dataclass
class ReplayServer:
    """Answers the n-th chat completion request with `recordings[n]` (the last one once they run out)."""

    recordings: list[Recording]
    requests: list[dict[str, Any]] = field(default_factory=list)
    """Every request body, in order."""
    url: str = ""
    replayed: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when a recording has been sent to its end (or its dropped connection)."""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat_completions)
        app.router.add_post("/openai/deployments/{deployment}/chat/completions", self._chat_completions)
        return app

    async def _chat_completions(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(await request.json())
        recording = self.recordings[min(len(self.requests), len(self.recordings)) - 1]
        headers = {"Content-Type": "text/event-stream"}
        compressor = None
        if recording.content_encoding:
            headers["Content-Encoding"] = recording.content_encoding
            compressor = zlib.compressobj(wbits=31 if recording.content_encoding == "gzip" else 15)
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        for part in recording.parts:
            if isinstance(part, Pause):
                await asyncio.sleep(part.seconds)
            elif compressor is None:
                await response.write(part)
            else:
                await response.write(compressor.compress(part) + compressor.flush(zlib.Z_SYNC_FLUSH))
        if recording.ending is Ending.DROP:
            assert request.transport is not None
            request.transport.close()
        else:
            await response.write_eof(compressor.flush() if compressor else b"")
        self.replayed.set()
        return response
