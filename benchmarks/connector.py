"""A local Bot Connector that answers like Teams (or Web Chat) and records every request with its time.

Teams mode follows the streaming protocol in shared/docs/streaming-protocol.md, for one stream per
conversation (the benchmark sends one message per conversation):
- a stream's first send (a typing activity with stream info and text) gets 201 and a new id;
- later stream sends get 202, the final `message` gets 201;
- a stream send that arrives less than `min_interval` (1 s) after the connector answered the
  previous send of that stream gets 429 with `Retry-After`, and changes no state;
- a start without text, a send after the final, or a final whose text does not start with the
  streamed text get 400/403 as in Teams; a wrong `streamSequence`, an update that is not the
  whole text so far, or a `streamSequence` on the final are accepted (Teams drops or tolerates
  them) but counted as protocol errors.
Web Chat mode answers the same way without the 429 rule, and counts a stream send whose stream
fields are missing from `channelData` (where Web Chat 4.18 reads them) as a protocol error.

Every request becomes one `Hit`; `GET /bench/records` returns them, `GET /bench/status` counts the
conversations that have shown the user a first sign (any accepted activity: typing, "Thinking…",
text) and those that have their final message, `POST /bench/reset` clears all and sets the mode.

Run: `python -m benchmarks.connector --port 0` (prints the bound port first).
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any, Literal

from aiohttp import web

from benchmarks.serving import serve_until_stopped

Mode = Literal["teams", "webchat"]
STREAM_TYPES = ("informative", "streaming", "final")
TEAMS_MIN_INTERVAL = 1.0


@dataclass
class Hit:
    """One request from the bot, as recorded: times are time.monotonic() of this process."""

    conversation: str
    received_at: float
    answered_at: float
    method: str
    type: str
    stream_type: str | None
    sequence: int | None
    text_length: int
    status: int
    error: str | None
    text: str | None
    """The whole text of `message` activities (to check the answer is complete); None for others."""


@dataclass
class StreamState:
    """What the connector remembers of a conversation's stream."""

    stream_id: str
    last_sequence: int
    text: str
    answered_at: float
    ended: bool = False


def stream_info(activity: dict[str, Any]) -> tuple[dict[str, Any] | None, bool]:
    """The activity's stream fields, and whether they were (also) in `channelData`.

    Teams reads a `streaminfo` entity, Web Chat 4.18 reads `channelData`; either counts as stream info.
    """
    channel_data = activity.get("channelData")
    in_channel_data = isinstance(channel_data, dict) and "streamType" in channel_data
    for entity in activity.get("entities") or []:
        if isinstance(entity, dict) and entity.get("type") == "streaminfo":
            return entity, in_channel_data
    return (channel_data if in_channel_data else None), in_channel_data


class Connector:
    """The connector's state: mode, per-conversation streams, hits, signed and finished conversations."""

    def __init__(self, mode: Mode = "teams") -> None:
        self._reset(mode)

    def _reset(self, mode: Mode) -> None:
        self.mode: Mode = mode
        self.min_interval = TEAMS_MIN_INTERVAL if mode == "teams" else 0.0
        self.hits: list[Hit] = []
        self.streams: dict[str, StreamState] = {}
        self.signed: set[str] = set()
        self.finished: set[str] = set()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        activities = "/v3/conversations/{conversation_id}/activities"
        app.router.add_post(activities, self._on_activity)
        app.router.add_post(activities + "/{activity_id}", self._on_activity)
        app.router.add_put(activities + "/{activity_id}", self._on_activity)
        app.router.add_post("/bench/reset", self._on_reset)
        app.router.add_get("/bench/status", self._on_status)
        app.router.add_get("/bench/records", self._on_records)
        return app

    async def _on_activity(self, request: web.Request) -> web.Response:
        received_at = time.monotonic()
        conversation = request.match_info["conversation_id"]
        activity = await request.json()
        status, body, error = self._answer(conversation, activity, received_at)
        answered_at = time.monotonic()
        info, _ = stream_info(activity)
        if status in (201, 202) and info is not None and conversation in self.streams:
            self.streams[conversation].answered_at = answered_at
        if status in (201, 202):
            self.signed.add(conversation)
        if activity.get("type") == "message" and status == 201:
            self.finished.add(conversation)
        sequence = info.get("streamSequence") if info else None
        self.hits.append(
            Hit(
                conversation=conversation,
                received_at=received_at,
                answered_at=answered_at,
                method=request.method,
                type=str(activity.get("type")),
                stream_type=info.get("streamType") if info else None,
                sequence=sequence if isinstance(sequence, int) else None,
                text_length=len(activity.get("text") or ""),
                status=status,
                error=error,
                text=activity.get("text") if activity.get("type") == "message" else None,
            )
        )
        headers = {"Retry-After": "1"} if status == 429 else None
        return web.json_response(body, status=status, headers=headers)

    def _answer(
        self, conversation: str, activity: dict[str, Any], now: float
    ) -> tuple[int, dict[str, Any], str | None]:
        """Status, body and protocol error (if any) for one activity, updating the stream state."""
        info, in_channel_data = stream_info(activity)
        if info is None:
            return 201, {"id": uuid.uuid4().hex}, None  # A plain message or typing indicator.
        stream_type = info.get("streamType")
        text = activity.get("text") or ""
        if stream_type not in STREAM_TYPES:
            return 400, _error("BadSyntax", "unknown streamType"), "bad_stream_type"
        missing_channel_data = self.mode == "webchat" and not in_channel_data
        state = self.streams.get(conversation)

        if state is None:
            if stream_type == "final":
                return 201, {"id": uuid.uuid4().hex}, "final_without_stream"
            if not text:
                refusal = _error("BadArgument", "Start streaming activities should include text")
                return 400, refusal, "start_without_text"
            stream_id = uuid.uuid4().hex
            sequence = info.get("streamSequence")
            self.streams[conversation] = StreamState(
                stream_id, sequence if isinstance(sequence, int) else 1, "", now
            )
            if stream_type == "streaming":
                self.streams[conversation].text = text
            return 201, {"id": stream_id}, "no_channel_data" if missing_channel_data else None

        if state.ended:
            return 403, _error("ContentStreamNotAllowed", "already completed streamed message"), "after_final"
        if now - state.answered_at < self.min_interval:
            return 429, _error("Throttled", "stream sends faster than once a second"), None
        error = "no_channel_data" if missing_channel_data else None

        if stream_type == "final":
            if not text.startswith(state.text):
                return 400, _error("BadRequest", "final text changes streamed content"), "final_changes_text"
            state.ended = True
            if info.get("streamSequence") is not None:
                error = error or "final_with_sequence"
            return 201, {"id": state.stream_id}, error

        sequence = info.get("streamSequence")
        if sequence != state.last_sequence + 1:
            # Teams answers ContentStreamSequenceOrderPreConditionFailed with 202 and drops the update.
            return 202, {}, "sequence"
        state.last_sequence = sequence
        if stream_type == "streaming":
            if not text.startswith(state.text):
                state.text = text
                return 202, {}, "not_cumulative"
            state.text = text
        return 202, {}, error

    async def _on_reset(self, request: web.Request) -> web.Response:
        body = await request.json()
        self._reset(body.get("mode", "teams"))
        return web.json_response({"mode": self.mode})

    async def _on_status(self, _request: web.Request) -> web.Response:
        status = {"signed": len(self.signed), "finished": len(self.finished), "hits": len(self.hits)}
        return web.json_response(status)

    async def _on_records(self, _request: web.Request) -> web.Response:
        return web.json_response([asdict(hit) for hit in self.hits])


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mode", choices=("teams", "webchat"), default="teams")
    args = parser.parse_args()
    asyncio.run(serve_until_stopped(Connector(args.mode).app(), args.port))


if __name__ == "__main__":
    main()
