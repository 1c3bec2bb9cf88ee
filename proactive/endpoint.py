"""`POST /api/notify` and `GET /api/notify/{job}`: notifications for operators and other services.

Both ask for the key in configuration (`NOTIFY_API_KEY`) as `Authorization: Bearer <key>`, compared
in constant time; without it they answer 401 and do nothing. Without a key configured, app.py does
not route them at all (404). Every refusal is `{"error": reason}`.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable

from aiohttp import web

from storage.errors import StorageUnavailableError

from .jobs import JobRecords
from .notifier import Notifier
from .notify_request import BadNotifyRequest, read_notify_request

logger = logging.getLogger(__name__)

JOB_PATH = "/api/notify/{job}"


def _refuse(status: int, reason: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": reason}, status=status, headers=headers)


class NotifyEndpoint:
    """The aiohttp handlers of the notification API."""

    def __init__(
        self,
        api_key: str,
        notifier: Notifier,
        records: JobRecords,
        *,
        max_text_utf16: int,
        max_prompt_chars: int,
        accepting: Callable[[], bool],
    ) -> None:
        self._key = api_key.encode("utf-8")
        self._notifier = notifier
        self._records = records
        self._max_text_utf16 = max_text_utf16
        self._max_prompt_chars = max_prompt_chars
        self._accepting = accepting

    async def submit(self, request: web.Request) -> web.Response:
        """Start a notification job: 202 with its first record, and where to follow it (`Location`)."""
        if not self._authorized(request):
            return _unauthorized()
        if not self._accepting():
            return _refuse(503, "The bot is shutting down; try again shortly.", {"Retry-After": "5"})
        if request.content_type != "application/json":
            return _refuse(415, "Content-Type must be application/json.")
        try:
            raw = await request.read()  # aiohttp stops at the application's client_max_size.
        except web.HTTPRequestEntityTooLarge:
            return _refuse(413, "The body is too large.")
        try:
            body = json.loads(raw.decode(request.charset or "utf-8"))
        except (ValueError, LookupError):  # Not JSON, not in its charset, or an unknown charset.
            return _refuse(400, "The body is not valid JSON.")
        except RecursionError:
            return _refuse(400, "The body is nested too deeply.")
        try:
            notify = read_notify_request(
                body, max_text_utf16=self._max_text_utf16, max_prompt_chars=self._max_prompt_chars
            )
            job = await self._notifier.submit(notify)
        except BadNotifyRequest as error:
            return _refuse(400, str(error))
        except StorageUnavailableError as error:
            logger.error("cannot start a notification job: %s", error)
            return _storage_unavailable()
        location = JOB_PATH.format(job=job.id)
        return web.json_response(job.record(), status=202, headers={"Location": location})

    async def status(self, request: web.Request) -> web.Response:
        """A job's record: its progress, and how it went in each conversation."""
        if not self._authorized(request):
            return _unauthorized()
        job_id = request.match_info["job"]
        try:
            record = await self._records.load(job_id)
        except StorageUnavailableError as error:
            logger.error("cannot read notification job %s: %s", job_id, error)
            return _storage_unavailable()
        if record is None:
            return _refuse(404, "There is no notification job with that id.")
        return web.json_response(record)

    def _authorized(self, request: web.Request) -> bool:
        """Whether the request carries the key as a bearer token (compared in constant time)."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode("utf-8", "surrogateescape"), self._key
        )


def _unauthorized() -> web.Response:
    return _refuse(
        401, "Send the notification key as 'Authorization: Bearer <key>'.", {"WWW-Authenticate": "Bearer"}
    )


def _storage_unavailable() -> web.Response:
    return _refuse(
        503, "The bot cannot reach its storage right now; try again shortly.", {"Retry-After": "5"}
    )
