"""Debian's Chromium for browser tests: where it is, and how to run it on loopback only.

Python Playwright drives ``/usr/bin/chromium`` (never ``playwright install``, which downloads). A
page may only reach servers on 127.0.0.1: host names do not resolve and every other request is
aborted, so a test never depends on, or talks to, the outside world.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Route

LOOPBACK = "127.0.0.1"

#: The browser: Debian's package ``chromium`` (or the binary E2E_CHROMIUM names).
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))

#: Flags that work as root on a closed network; Playwright adds ``--headless`` and its own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    f"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {LOOPBACK}",
]


def in_ci() -> bool:
    """True when running in CI (``CI=true``), where no browser test may be skipped."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def require_chromium() -> Path:
    """The Chromium binary; without one the test is skipped on a developer machine, failed in CI."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    problem = (
        f"Chromium is not installed at {CHROMIUM}. Install Debian's package: "
        "`sudo apt-get update && sudo apt-get install -y chromium` "
        "(or point E2E_CHROMIUM at a Chromium binary; never `playwright install`)."
    )
    if in_ci():
        pytest.fail(f"CI=true and the browser test cannot run: {problem}", pytrace=False)
    pytest.skip(problem)


async def loopback_only(route: Route) -> None:
    """A Playwright route handler that lets requests to 127.0.0.1 through and aborts the rest."""
    if urlsplit(route.request.url).hostname == LOOPBACK:
        await route.continue_()
    else:
        await route.abort()
