"""Short JSON bodies for the HTTP errors aiohttp raises itself (404, 405, 413…) instead of its text pages."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

# Headers of aiohttp's error that still hold for the JSON answer (405 names the allowed methods).
_KEPT_HEADERS = ("Allow", "Retry-After")


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer aiohttp's 4xx/5xx exceptions as `{"error": reason}`; redirects and successes pass through."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        headers = {name: error.headers[name] for name in _KEPT_HEADERS if name in error.headers}
        return web.json_response({"error": f"{error.reason}."}, status=error.status, headers=headers)
