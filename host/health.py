"""`GET /healthz` (the process serves HTTP) and `GET /readyz` (it can also answer: storage and model).

Load balancers and orchestrators send traffic only to ready instances and restart dead ones; the two
questions differ, so a model outage makes an instance unready without making it look dead. Parts the
bot answers without (such as MCP servers) are reported too, as information: they never make it unready,
since taking it out of rotation would turn a missing tool into no answers at all.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from llm import ModelError

if TYPE_CHECKING:
    from botbuilder.core import Storage

logger = logging.getLogger(__name__)

READINESS_KEY = "readyz/sentinel"
"""The key /readyz reads: nothing is stored under it, the read only proves the storage answers."""


async def healthz(_request: web.Request) -> web.Response:
    """Liveness: the process is up and serving HTTP."""
    return web.json_response({"status": "ok"})


class Readiness:
    """The /readyz handler: 200 when storage and model answer within `timeout`, else 503; with them,
    what each of `information` reports (by name), whatever it says."""

    def __init__(
        self,
        storage: Storage,
        model: object,
        timeout: float,
        accepting: Callable[[], bool],
        *,
        information: Mapping[str, Callable[[], object]] | None = None,
    ) -> None:
        self._storage = storage
        self._model = model
        self._timeout = timeout
        self._accepting = accepting
        self._information = information or {}

    async def handle(self, _request: web.Request) -> web.Response:
        if not self._accepting():
            return web.json_response({"status": "shutting down"}, status=503)
        storage, model = await asyncio.gather(
            self._check("storage", self._read_storage()), self._check("model", self._reach_model())
        )
        ready = storage["ok"] and model["ok"]
        body = {"status": "ready" if ready else "not ready", "storage": storage, "model": model}
        body.update((name, report()) for name, report in self._information.items())
        return web.json_response(body, status=200 if ready else 503)

    async def _read_storage(self) -> str:
        await self._storage.read([READINESS_KEY])
        return f"{type(self._storage).__name__} answered"

    async def _reach_model(self) -> str:
        check: Callable[[float], Awaitable[str]] | None = getattr(self._model, "check_ready", None)
        if check is None:
            return f"{type(self._model).__name__} has no readiness check; not checked"
        return await check(self._timeout)

    async def _check(self, name: str, probe: Awaitable[str]) -> dict[str, Any]:
        """Run one probe. Failures are logged in full; the public answer names no host or path."""
        started = time.monotonic()
        try:
            detail = await asyncio.wait_for(probe, self._timeout)
            ok = True
        except TimeoutError:
            detail, ok = f"no answer within {self._timeout:g} s", False
            logger.warning("not ready: the %s gave %s", name, detail)
        except ModelError as error:  # Its message is written to be shown (no keys, no URLs).
            detail, ok = str(error), False
            logger.warning("not ready: %s (%r)", detail, error.__cause__)
        except Exception as error:  # Any failure means "not ready".
            detail, ok = f"{type(error).__name__}", False
            logger.warning("not ready: the %s failed: %s", name, error)
        return {"ok": ok, "detail": detail, "seconds": round(time.monotonic() - started, 3)}
