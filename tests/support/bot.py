"""The bot under test, served on loopback and reached over real HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from app import ANSWERS, TURNS


@dataclass
class BotClient:
    """Posts to the bot's endpoints like a channel does."""

    url: str
    session: aiohttp.ClientSession
    app: web.Application

    async def post_activity(
        self, activity: dict[str, Any], headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """POST `activity` to /api/messages; return the status and the JSON body (or None) once the
        turn has ended (a message's turn runs after its request is answered)."""
        status, body = await self.post_activity_only(activity, headers)
        await self.turns_done()
        return status, body

    async def post_activity_only(
        self, activity: dict[str, Any], headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """POST `activity` to /api/messages; the status and the JSON body (or None), at once."""
        async with self.session.post(f"{self.url}/api/messages", json=activity, headers=headers) as response:
            body = await response.json() if response.content_type == "application/json" else None
            return response.status, body

    async def turns_done(self) -> None:
        """Wait until the turn of every accepted message has ended."""
        await self.app[TURNS].wait_idle()

    async def answers_done(self) -> None:
        """Wait until every accepted message's turn, and every answer in progress, has ended and saved."""
        await self.turns_done()
        await self.app[ANSWERS].wait_idle()

    async def post_raw(self, data: bytes, content_type: str | None) -> tuple[int, str]:
        """POST raw bytes with the given Content-Type; return the status and the body text."""
        headers = {"Content-Type": content_type} if content_type else {}
        skip = () if content_type else ("Content-Type",)
        async with self.session.post(
            f"{self.url}/api/messages", data=data, headers=headers, skip_auto_headers=skip
        ) as response:
            return response.status, await response.text()

    async def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """GET /metrics, parsed: each sample's value by (name, sorted labels)."""
        async with self.session.get(f"{self.url}/metrics") as response:
            assert response.status == 200
            assert response.content_type == "text/plain"
            text = await response.text()
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }
