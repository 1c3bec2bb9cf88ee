"""The floor: a streaming bot on bare aiohttp, with no Bot Framework or Agents SDK and no `openai` client.

It answers the inbound POST with 202 at once and streams in a background task: it posts an
informative "Thinking…" typing activity (the 201's id is the stream id), reads the model's SSE
stream with aiohttp and parses it itself, and sends the whole text so far at most once per
interval (1 s on Teams, 0.5 s on Web Chat), counted from the end of the previous send, then the
final message. Stream fields go in both `entities` and `channelData`. One shared HTTP client
without a connection limit serves all conversations.

There is no authentication, state, retry or error recovery: it is what the benchmark compares the
real bots' costs against, not a bot to deploy.

Run: `python benchmarks/bots/bare_bot.py` with HOST, PORT, OPENAI_BASE_URL and OPENAI_MODEL set.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import aiohttp
from aiohttp import web

INFORMATIVE_TEXT = "Thinking…"
INTERVALS = {"msteams": 1.0, "webchat": 0.5, "directline": 0.5}


class StreamSender:
    """Sends one conversation's stream: one request at a time, paced, always the latest text."""

    def __init__(self, session: aiohttp.ClientSession, activity: dict[str, Any], interval: float) -> None:
        conversation = activity["conversation"]
        self._session = session
        service_url = activity["serviceUrl"].rstrip("/")
        self._url = f"{service_url}/v3/conversations/{conversation['id']}/activities/{activity['id']}"
        self._envelope = {
            "from": activity["recipient"],
            "recipient": activity["from"],
            "conversation": conversation,
            "replyToId": activity["id"],
        }
        self._interval = interval
        self._stream_id: str | None = None
        self._sequence = 0
        self._next_at = 0.0

    async def pace(self) -> None:
        """Wait until the channel's pace allows the next send."""
        delay = self._next_at - asyncio.get_running_loop().time()
        if delay > 0:
            await asyncio.sleep(delay)

    async def _send(self, activity_type: str, stream_type: str, text: str) -> dict[str, Any]:
        info: dict[str, Any] = {"streamType": stream_type}
        if self._stream_id:
            info["streamId"] = self._stream_id
        if stream_type != "final":
            self._sequence += 1
            info["streamSequence"] = self._sequence
        activity = {
            **self._envelope,
            "type": activity_type,
            "text": text,
            "entities": [{"type": "streaminfo", **info}],
            "channelData": info,
        }
        async with self._session.post(self._url, json=activity) as response:
            response.raise_for_status()
            body: dict[str, Any] = await response.json()
        self._next_at = asyncio.get_running_loop().time() + self._interval
        return body

    async def start(self) -> None:
        body = await self._send("typing", "informative", INFORMATIVE_TEXT)
        self._stream_id = body["id"]

    async def update(self, text: str) -> None:
        await self._send("typing", "streaming", text)

    async def finish(self, text: str) -> None:
        await self.pace()
        await self._send("message", "final", text)


async def model_deltas(session: aiohttp.ClientSession, base_url: str, model: str, question: str):
    """Yield the answer's text pieces from the model's SSE stream, parsed here line by line."""
    request = {"model": model, "stream": True, "messages": [{"role": "user", "content": question}]}
    async with session.post(f"{base_url.rstrip('/')}/chat/completions", json=request) as response:
        response.raise_for_status()
        async for line in response.content:
            if not line.startswith(b"data: "):
                continue
            data = line[6:].strip()
            if data == b"[DONE]":
                return
            choices = json.loads(data).get("choices")
            if choices:
                content = choices[0].get("delta", {}).get("content")
                if content:
                    yield content


class BareBot:
    """Serves `/api/messages`; each message starts one background answer."""

    def __init__(self, base_url: str, model: str) -> None:
        self._base_url = base_url
        self._model = model
        self._session: aiohttp.ClientSession | None = None
        self._answers: set[asyncio.Task[None]] = set()

    async def on_startup(self, _app: web.Application) -> None:
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

    async def on_cleanup(self, _app: web.Application) -> None:
        if self._session:
            await self._session.close()

    async def messages(self, request: web.Request) -> web.Response:
        activity = await request.json()
        if activity.get("type") == "message" and activity.get("text"):
            task = asyncio.create_task(self._answer(activity))
            self._answers.add(task)
            task.add_done_callback(self._answers.discard)
        return web.Response(status=202)

    async def _answer(self, activity: dict[str, Any]) -> None:
        assert self._session is not None
        sender = StreamSender(self._session, activity, INTERVALS.get(activity.get("channelId", ""), 1.0))
        text = ""
        changed = asyncio.Event()
        done = False

        async def read_model() -> None:
            nonlocal text, done
            try:
                async for delta in model_deltas(self._session, self._base_url, self._model, activity["text"]):
                    text += delta
                    changed.set()
            finally:
                done = True
                changed.set()

        reader = asyncio.create_task(read_model())
        await sender.start()
        sent = ""
        while not done:
            await changed.wait()
            await sender.pace()  # Text that arrives meanwhile joins this update.
            changed.clear()
            if not done and text != sent:
                sent = text
                await sender.update(sent)
        await reader
        await sender.finish(text)


def main() -> None:
    bot = BareBot(os.environ["OPENAI_BASE_URL"], os.environ.get("OPENAI_MODEL", "bench-model"))
    app = web.Application()
    app.router.add_post("/api/messages", bot.messages)
    app.on_startup.append(bot.on_startup)
    app.on_cleanup.append(bot.on_cleanup)
    web.run_app(
        app,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "3978")),
        access_log=None,
        backlog=4096,
        print=None,
    )


if __name__ == "__main__":
    main()
