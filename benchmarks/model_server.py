"""A local OpenAI-compatible model server that streams a chosen answer at a chosen pace.

`POST /v1/chat/completions` (stream=True) waits `first_token_delay` seconds, then streams `tokens`
tokens at `rate` tokens a second as OpenAI chat-completion chunks over SSE, then `[DONE]`. Each token
is due at an absolute time (first token time + index / rate), so a late event loop sends the overdue
tokens at once instead of drifting. The server records, per request, when it wrote each token.

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


def answer_text(count: int) -> str:
    """The whole answer a bot must deliver for a `count`-token scenario."""
    return "".join(answer_tokens(count))


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
    completed: bool = False


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


class ModelServer:
    """The server's state: the current scenario, its pre-encoded chunks, and the records."""

    def __init__(self, scenario: Scenario) -> None:
        self.records: dict[str, RequestRecord] = {}
        self._untagged = 0
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

        scenario = self.scenario
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        loop = asyncio.get_running_loop()
        first_due = loop.time() + scenario.first_token_delay
        try:
            await asyncio.sleep(scenario.first_token_delay)
            await response.write(self._opening)
            for index, chunk in enumerate(self._token_chunks):
                delay = first_due + index / scenario.rate - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                await response.write(chunk)
                record.token_times.append(time.monotonic())
            await response.write(self._closing)
            await response.write_eof()
            record.completed = True
        except ConnectionResetError:
            pass  # The bot closed the stream early; the record shows how far it got.
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
