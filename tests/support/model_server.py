"""A local OpenAI-compatible chat completions server that streams a scripted answer over SSE.

It speaks the OpenAI route (`/v1/chat/completions`) and the Azure OpenAI route
(`/openai/deployments/{deployment}/chat/completions`), and records every request it gets.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

FLAGGED_MARKER = "FLAG-ME"
"""Text with this in it is flagged by the server's moderation endpoint."""


@dataclass
class ModelRequest:
    """One request as the server saw it."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass(frozen=True)
class ScriptedCall:
    """A tool call the server makes, streamed as OpenAI streams it (see `ModelServer.tool_rounds`)."""

    id: str
    name: str
    arguments: str


ARGUMENT_FRAGMENT = 5
"""Characters of a call's arguments per streamed fragment."""


@dataclass
class ModelServer:
    """Streams `tokens`, waiting `first_token_delay` before the first and `token_delay` between.

    Faults: `fail_with_status` answers every request with that status; `fail_first` answers the
    first requests with the listed statuses (and `retry_after`); `disconnect_after` drops the
    connection after that many tokens; `hang_after` goes silent after that many tokens.
    `answer_with`, if set, makes the tokens of each answer from the request's messages instead.
    """

    tokens: list[str]
    token_delay: float = 0.0
    first_token_delay: float = 0.0
    fail_with_status: int | None = None
    fail_first: list[int] = field(default_factory=list)
    retry_after: float | None = None
    disconnect_after: int | None = None
    hang_after: int | None = None
    preamble: list[bytes] = field(default_factory=list)
    """Raw SSE lines sent before the first token: keep-alive comments, chunks without choices."""
    end_after: int | None = None
    """End the body cleanly after that many tokens, without a finish reason or [DONE]."""
    error_after: int | None = None
    """Send an in-stream error event (as OpenAI does) after that many tokens."""
    answer_with: Callable[[list[dict[str, Any]]], list[str]] | None = None
    tool_rounds: list[list[ScriptedCall]] = field(default_factory=list)
    """Each request that offers tools takes the next of these and calls those tools (in parallel
    if several), instead of answering, unless its `tool_choice` is `none`; then the tokens come."""
    text_before_calls: str = ""
    """Text the model writes before its tool calls, in the same response."""
    ignore_tool_choice: bool = False
    """Call tools even when the request's `tool_choice` is `none`, as some servers do."""
    compress: bool = False
    """Encode the stream (gzip or deflate, as the request accepts)."""
    requests: list[ModelRequest] = field(default_factory=list)
    token_sent_at: list[float] = field(default_factory=list)
    """`time.monotonic()` after each token was written, for every answer, in order."""
    moderated: list[str] = field(default_factory=list)
    url: str = ""
    disconnected: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when a client closes its connection before the answer is complete."""

    @property
    def answer(self) -> str:
        """The whole answer the server streams."""
        return "".join(self.tokens)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat_completions)
        app.router.add_post("/openai/deployments/{deployment}/chat/completions", self._chat_completions)
        app.router.add_post("/v1/moderations", self._moderations)
        return app

    async def _moderations(self, request: web.Request) -> web.Response:
        """Flags any text that contains FLAGGED_MARKER, as OpenAI's /moderations answers."""
        body = await request.json()
        self.moderated.append(body["input"])
        flagged = FLAGGED_MARKER in body["input"]
        result = {
            "flagged": flagged,
            "categories": {"violence": flagged},
            "category_scores": {"violence": 0.0},
        }
        return web.json_response({"id": "modr-local", "model": "omni-moderation-latest", "results": [result]})

    async def _chat_completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(ModelRequest(request.path, dict(request.query), dict(request.headers), body))
        status = self.fail_first.pop(0) if self.fail_first else self.fail_with_status
        if status:
            error = {"error": {"message": "injected failure", "type": "server_error"}}
            headers = {"Retry-After": f"{self.retry_after:g}"} if self.retry_after is not None else {}
            return web.json_response(error, status=status, headers=headers)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        if self.compress:
            response.enable_compression()
        await response.prepare(request)
        try:
            await asyncio.sleep(self.first_token_delay)
            for line in self.preamble:
                await response.write(line)
            if self._calls_tools(body):
                await self._send_tool_calls(response, self.tool_rounds.pop(0))
                return response
            await self._send(response, {"role": "assistant", "content": ""}, None)
            tokens = self.answer_with(body["messages"]) if self.answer_with else self.tokens
            for index, token in enumerate(tokens):
                if index == self.disconnect_after:
                    request.transport.close()
                    return response
                if index == self.error_after:
                    await response.write(
                        b'data: {"error": {"message": "overloaded", "type": "server_error"}}\n\n'
                    )
                    await response.write_eof()
                    return response
                if index == self.end_after:
                    await response.write_eof()
                    return response
                if index == self.hang_after:
                    await asyncio.Event().wait()  # Silent until the client hangs up.
                if index:
                    await asyncio.sleep(self.token_delay)
                await self._send(response, {"content": token}, None)
                self.token_sent_at.append(time.monotonic())
            await self._send(response, {}, "stop")
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            # The client hung up mid-answer (aiohttp cancels the handler: see `serve`).
            self.disconnected.set()
            raise
        return response

    def _calls_tools(self, body: dict[str, Any]) -> bool:
        may_call = body.get("tool_choice", "auto") != "none" or self.ignore_tool_choice
        return bool(body.get("tools") and self.tool_rounds and may_call)

    async def _send_tool_calls(self, response: web.StreamResponse, calls: list[ScriptedCall]) -> None:
        """Stream `calls` as OpenAI does: each call's id and name on its first fragment, then its
        arguments in pieces under the same index, calls one after another, then `tool_calls`."""
        delta: dict[str, Any] = {"role": "assistant", "content": None}
        if self.text_before_calls:
            await self._send(response, {**delta, "content": self.text_before_calls}, None)
            delta = {}
        for index, call in enumerate(calls):
            first = {"index": index, "id": call.id, "type": "function"}
            await self._send(
                response,
                {**delta, "tool_calls": [{**first, "function": {"name": call.name, "arguments": ""}}]},
                None,
            )
            delta = {}
            for start in range(0, len(call.arguments), ARGUMENT_FRAGMENT):
                await asyncio.sleep(self.token_delay)
                piece = call.arguments[start : start + ARGUMENT_FRAGMENT]
                await self._send(
                    response, {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}, None
                )
        await self._send(response, {}, "tool_calls")
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()

    @staticmethod
    async def _send(response: web.StreamResponse, delta: dict[str, Any], finish_reason: str | None) -> None:
        chunk = {
            "id": "chatcmpl-local",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "local-test-model",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
        await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
