"""A local Bot Connector that answers the bot like Teams does and records everything it is sent."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Received:
    """One activity the bot sent, with when it arrived (time.monotonic) and what it was answered."""

    method: str
    path: str
    activity: dict[str, Any]
    received_at: float
    status: int = 0
    reply_id: str | None = None

    @property
    def stream_info(self) -> dict[str, Any] | None:
        """The activity's `streaminfo` entity, if it has one."""
        for entity in self.activity.get("entities") or []:
            if entity.get("type") == "streaminfo":
                return entity
        return None


@dataclass
class RecordingConnector:
    """Answers a stream's first send with 201 and an id, its updates with 202, messages with 201."""

    fail_with: dict[str, int] = field(default_factory=dict)
    """Activity type -> HTTP status to answer activities of that type with, to inject failures."""
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        activities = "/v3/conversations/{conversation_id}/activities"
        app.router.add_post(activities, self._on_activity)
        app.router.add_post(activities + "/{activity_id}", self._on_activity)
        app.router.add_put(activities + "/{activity_id}", self._on_activity)
        return app

    async def _on_activity(self, request: web.Request) -> web.Response:
        item = Received(request.method, request.path, await request.json(), time.monotonic())
        stream = item.stream_info
        failure = self.fail_with.get(item.activity.get("type", ""))
        if failure:
            item.status = failure
            error = {"error": {"code": "InjectedFailure", "message": "injected by the test"}}
            response = web.json_response(error, status=failure)
        elif stream and stream.get("streamId") and item.activity.get("type") == "typing":
            item.status = 202
            response = web.json_response({}, status=202)
        else:
            item.status = 201
            item.reply_id = uuid.uuid4().hex
            response = web.json_response({"id": item.reply_id}, status=201)
        self.received.append(item)
        return response
