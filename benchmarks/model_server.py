"""A local OpenAI-compatible model server that streams a chosen answer at a chosen pace.

`POST /v1/chat/completions` (stream=True) waits `first_token_delay` seconds, then streams `tokens`
tokens at `rate` tokens a second as OpenAI chat-completion chunks over SSE, then `[DONE]`. Each token
is due at an absolute time (first token time + index / rate), so a late event loop sends the overdue
tokens at once instead of drifting. The server records, per request, when it wrote each token, and
keeps its own cost low (see `_Pacer`) because it shares the machine with the bot it measures.

Requests are told apart by the conversation tag (see `CONVERSATION_TAG`) that the benchmark driver
puts in the user's message: every bot passes the user's text to the model, so the tag reaches this
server unchanged whatever the bot does with ids, headers or the `user` field.

Control endpoints for `benchmarks.run`: `POST /bench/scenario` sets the answer and clears the
records, `GET /bench/records` returns them.

Run: `python -m benchmarks.model_server --port 0` (prints the bound port first).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import heapq
import json
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import web

from benchmarks.serving import serve_until_stopped

CONVERSATION_TAG = re.compile(r"bench-[0-9a-f]{12}")
_WORDS = ("Streaming", "answers", "arrive", "token", "by", "token,", "and", "the", "bot", "shows", "them.")


def answer_tokens(count: int) -> list[str]:
    """The tokens of the benchmark's answer: `count` short words, each but the first after a space."""
    return [(" " if index else "") + _WORDS[index % len(_WORDS)] for index in range(count)]


@dataclass(frozen=True)
class Scenario:
    """What the model answers: how many tokens, how fast, and how long it thinks first."""

    tokens: int = 200
    rate: float = 40.0
    first_token_delay: float = 0.5


@dataclass
class RequestRecord:
    """One model request: when it arrived and when each token was written (time.monotonic)."""

    received_at: float
    token_times: list[float] = field(default_factory=list)


def _chunk(delta: dict[str, str], finish_reason: str | None) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
    body = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "bench-model",
        "choices": [choice],
    }
    return f"data: {json.dumps(body)}\n\n".encode()


def conversation_of(body: dict[str, Any]) -> str | None:
    """The benchmark conversation tag in the request's last user message, if any."""
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            match = CONVERSATION_TAG.search(str(message.get("content") or ""))
            return match.group(0) if match else None
    return None


@dataclass
class _Stream:
    """One answer being paced: where to write, what, and how far it has got."""

    transport: asyncio.Transport | None
    chunks: list[bytes]
    record: RequestRecord
    first_due: float
    rate: float
    next_index: int = 0
    finished: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    @property
    def next_due(self) -> float:
        return self.first_due + self.next_index / self.rate


class _Pacer:
    """Writes every stream's tokens when they are due, from one task, for thousands of streams.

    One timer for all streams (a heap ordered by due time) instead of one sleep per token per
    stream keeps the server's own CPU small next to the bot's. Tokens due together go out in one
    chunked-encoding frame written straight to the transport, which never waits on a slow reader.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, _Stream]] = []
        self._count = 0
        self._added = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def stream(self, stream: _Stream) -> None:
        """Pace `stream` until all its tokens are written or its client has gone."""
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        self._push(stream)
        self._added.set()
        await stream.finished

    def _push(self, stream: _Stream) -> None:
        self._count += 1
        heapq.heappush(self._heap, (stream.next_due, self._count, stream))

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._heap:
                self._added.clear()
                await self._added.wait()
                continue
            wait = self._heap[0][0] - loop.time()
            if wait > 0:
                self._added.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._added.wait(), wait)
                continue
            now = loop.time()
            while self._heap and self._heap[0][0] <= now:
                self._write_due(heapq.heappop(self._heap)[2], now)

    def _write_due(self, stream: _Stream, now: float) -> None:
        transport = stream.transport
        if transport is None or transport.is_closing():
            stream.finished.set_result(None)  # The bot closed the stream; the record shows how far it got.
            return
        # The next token is due (the heap says so); the arithmetic alone can round it back to "not
        # yet", which once wrote an empty chunk (the end of a chunked body) and then spun forever.
        due = max(stream.next_index + 1, int((now - stream.first_due) * stream.rate) + 1)
        last = min(len(stream.chunks), due)
        data = b"".join(stream.chunks[stream.next_index : last])
        transport.write(b"%x\r\n%b\r\n" % (len(data), data))
        written = time.monotonic()
        stream.record.token_times.extend([written] * (last - stream.next_index))
        stream.next_index = last
        if last == len(stream.chunks):
            stream.finished.set_result(None)
        else:
            self._push(stream)


class ModelServer:
    """The server's state: the current scenario, its pre-encoded chunks, and the records."""

    def __init__(self, scenario: Scenario) -> None:
        self.records: dict[str, RequestRecord] = {}
        self._untagged = 0
        self._pacer = _Pacer()
        self._set_scenario(scenario)

    def _set_scenario(self, scenario: Scenario) -> None:
        self.scenario = scenario
        # Every request streams the same answer, so each chunk is encoded once, not per request.
        self._opening = _chunk({"role": "assistant", "content": ""}, None)
        self._token_chunks = [_chunk({"content": token}, None) for token in answer_tokens(scenario.tokens)]
        self._closing = _chunk({}, "stop") + b"data: [DONE]\n\n"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat_completions)
        app.router.add_post("/bench/scenario", self._put_scenario)
        app.router.add_get("/bench/records", self._get_records)
        return app

    async def _chat_completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        key = conversation_of(body)
        if key is None:
            self._untagged += 1
            key = f"untagged-{self._untagged}"
        record = RequestRecord(received_at=time.monotonic())
        self.records[key] = record
        if not body.get("stream"):
            return web.json_response({"error": {"message": "this server only streams"}}, status=400)

        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        response.enable_chunked_encoding()  # The pacer frames its chunks itself (see _Pacer).
        await response.prepare(request)
        await response.write(self._opening)  # Also sends the headers.
        stream = _Stream(
            transport=request.transport,
            chunks=self._token_chunks,
            record=record,
            first_due=asyncio.get_running_loop().time() + self.scenario.first_token_delay,
            rate=self.scenario.rate,
        )
        await self._pacer.stream(stream)
        if stream.next_index == len(stream.chunks):
            await response.write(self._closing)
            await response.write_eof()
        return response

    async def _put_scenario(self, request: web.Request) -> web.Response:
        self._set_scenario(Scenario(**await request.json()))
        self.records = {}
        return web.json_response(asdict(self.scenario))

    async def _get_records(self, _request: web.Request) -> web.Response:
        return web.json_response({key: asdict(record) for key, record in self.records.items()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(serve_until_stopped(ModelServer(Scenario()).app(), args.port))


if __name__ == "__main__":
    main()
