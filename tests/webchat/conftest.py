"""Fixtures for the Web Chat tests: the official Web Chat client, a local Direct Line, the bot.

botframework-webchat's prebuilt bundle (installed by ``npm ci --prefix tests/webchat``, which the
README's test command runs) renders in headless Chromium. The page and Direct Line are served by
`DirectLineEmulator` on one loopback origin; the bot runs in-process with its `openai` client
pointed at the local model server, which answers each question with the tokens a test scripted
for it. One model server, bot, emulator and browser serve the module; each test opens its own
page, and so its own conversation. Screenshots go to ``test-artifacts/webchat/``.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from playwright.async_api import Browser, async_playwright

from app import create_app
from config import DefaultConfig
from tests.support.chromium import CHROMIUM_ARGS, loopback_only, require_chromium
from tests.support.directline import DirectLineEmulator
from tests.support.loopback import serve
from tests.support.model_server import ModelServer
from tests.webchat.page import WebChatPage

WEBCHAT_DIR = Path(__file__).resolve().parent
REPO_DIR = WEBCHAT_DIR.parent.parent
PAGE = WEBCHAT_DIR / "index.html"
BUNDLE = WEBCHAT_DIR / "node_modules" / "botframework-webchat" / "dist" / "webchat.js"
ARTIFACTS_DIR = REPO_DIR / "test-artifacts" / "webchat"

TOKEN_DELAY = 0.05  # seconds between the model's tokens: a 25-token answer streams in about 1.2 s
STREAM_INTERVAL = "0.2"  # seconds between the bot's Web Chat updates: several per answer


class ScriptedAnswers(dict[str, list[str]]):
    """The model's answer (its tokens) to each question; a test adds one before asking it."""

    def __call__(self, messages: list[dict[str, Any]]) -> list[str]:
        return self[messages[-1]["content"]]


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``e2e`` marker, so that this directory can also run on its own."""
    config.addinivalue_line("markers", "e2e: end-to-end test against real clients on loopback")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item, so that the page fixture can tell a failed test."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="module")
def artifacts_dir() -> Path:
    """``test-artifacts/webchat/``, emptied when the module starts."""
    shutil.rmtree(ARTIFACTS_DIR, ignore_errors=True)
    ARTIFACTS_DIR.mkdir(parents=True)
    return ARTIFACTS_DIR


@pytest.fixture(scope="module")
def bundle() -> Path:
    """Web Chat's prebuilt bundle; fails with the command to run when it is missing."""
    if not BUNDLE.exists():
        pytest.fail(
            f"botframework-webchat is not installed ({BUNDLE} is missing). Run "
            f"`npm ci --prefix {WEBCHAT_DIR.relative_to(REPO_DIR)}` (the README's test command does).",
            pytrace=False,
        )
    return BUNDLE


@pytest.fixture(scope="module")
def answers() -> ScriptedAnswers:
    return ScriptedAnswers()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def model(answers: ScriptedAnswers) -> AsyncIterator[ModelServer]:
    server = ModelServer(tokens=[], token_delay=TOKEN_DELAY, answer_with=answers)
    async with serve(server.app()) as url:
        server.url = url
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot_endpoint(model: ModelServer) -> AsyncIterator[str]:
    """The bot, in-process on loopback, streaming to Web Chat at a quick pace."""
    config = DefaultConfig(
        {
            "STORAGE": "memory",
            "OPENAI_BASE_URL": f"{model.url}/v1",
            "OPENAI_MODEL": "local-test-model",
            "WEBCHAT_STREAM_INTERVAL": STREAM_INTERVAL,
        }
    )
    async with serve(create_app(config)) as url:
        yield f"{url}/api/messages"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def directline(bot_endpoint: str) -> AsyncIterator[DirectLineEmulator]:
    """Direct Line for the bot and the page, which it also serves (at /), with Web Chat's bundle."""

    async def page(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(PAGE)

    async def script(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(BUNDLE)

    emulator = DirectLineEmulator(bot_endpoint)
    app = emulator.app()
    app.router.add_get("/", page)
    app.router.add_get("/webchat.js", script)
    async with serve(app) as url:
        emulator.url = url
        yield emulator
    assert emulator.bot_failures == []


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    chromium = require_chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest_asyncio.fixture(loop_scope="module")
async def chat(
    request: pytest.FixtureRequest,
    bundle: Path,  # required: fails with the npm command to run when Web Chat is not installed
    browser: Browser,
    directline: DirectLineEmulator,
    artifacts_dir: Path,
) -> AsyncIterator[WebChatPage]:
    """A new Web Chat page (a new conversation), ready for the first question.

    After a failed test its screenshot is kept as ``<test>-failure.png`` and every state of its
    transcript is printed; the page's console is kept as ``<test>-console.txt`` either way.
    """
    context = await browser.new_context(viewport={"width": 900, "height": 900})
    try:
        await context.route("**/*", loopback_only)
        page = await WebChatPage.open(context, directline)
        yield page
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            await page.screenshot(artifacts_dir / f"{request.node.name}-failure.png")
            print("----- what the page showed, state by state (ms on the page's clock) -----")
            for snapshot in page.snapshots:
                shown = " | ".join(f"{bubble.role}: {bubble.text[:60]!r}" for bubble in snapshot.conversation)
                print(f"{snapshot.at:8.0f} {'typing ' if snapshot.typing else ''}{shown}")
        (artifacts_dir / f"{request.node.name}-console.txt").write_text("\n".join(page.console) + "\n")
    finally:
        await context.close()
