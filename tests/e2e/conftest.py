"""Fixtures for the end-to-end tests: the real bot against the Microsoft 365 Agents Playground.

The bot (``python app.py``, offline model, empty app id) and each Playground run as
subprocesses on free 127.0.0.1 ports. A fixture waits until its process answers (``/healthz``,
``/_debug/ping``) and stops it by PID (process group) when the session ends, also after a
failed test. One bot serves the whole session; each Playground configuration (channel,
delivery mode) is started once, on first use. Every test message carries a unique marker, so
tests sharing a Playground (whose chat history lives as long as it does) never confuse their
replies.

Nothing is installed here: the README's test command runs ``npm ci --prefix tests/e2e`` first.
Logs, events recordings and screenshots are kept in ``test-artifacts/e2e/``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.playground import E2E_DIR, PLAYGROUND_CLI, REPO_DIR, Playground
from tests.support.agents_host import agents_host_process
from tests.support.bot_process import BotProcess
from tests.support.chromium import require_chromium

#: Pace of the bot's offline model: its ~110-word answer then takes about four seconds, long
#: enough for three or four Teams updates (one a second) and still quick.
OFFLINE_TOKENS_PER_SECOND = "30"

#: The sensitivity label (name, description) the bot puts on its answers, which the Playground shows.
SENSITIVITY_LABEL = ("General", "Fine to share inside the company")

#: The key of the bot's notification API (`POST /api/notify`), which test_notifications.py calls.
NOTIFY_API_KEY = "e2e-notify-key-3b9f41c7d2"

#: Where screenshots, logs and events recordings of the run go (gitignored).
ARTIFACTS_DIR = REPO_DIR / "test-artifacts" / "e2e"


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``e2e`` marker so the suite can be selected or deselected (``-m``)."""
    config.addinivalue_line("markers", "e2e: end-to-end test against real clients on loopback")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """``test-artifacts/e2e/``, emptied at the start of the session."""
    shutil.rmtree(ARTIFACTS_DIR, ignore_errors=True)
    ARTIFACTS_DIR.mkdir(parents=True)
    return ARTIFACTS_DIR


@pytest.fixture(scope="session")
def playground_cli() -> Path:
    """The pinned Playground's ``cli.js``; fails with the command to run when it is missing."""
    if not PLAYGROUND_CLI.exists():
        pytest.fail(
            f"The Microsoft 365 Agents Playground is not installed ({PLAYGROUND_CLI} is missing). "
            f"Run `npm ci --prefix {E2E_DIR.relative_to(REPO_DIR)}` (the README's test command does).",
            pytrace=False,
        )
    return PLAYGROUND_CLI


#: The knowledge the bots search: one document whose words match none of the other tests'
#: questions, so that only a question about it gets a cited answer and the rest the fixed one.
KNOWLEDGE_DIR = E2E_DIR / "knowledge"

#: The bots' settings: the offline model at the pace above, searching the knowledge above, and a
#: sensitivity label on its answers.
BOT_ENV = {
    "MODEL_PROVIDER": "offline",
    "OFFLINE_MODEL_TOKENS_PER_SECOND": OFFLINE_TOKENS_PER_SECOND,
    "KNOWLEDGE_DIR": str(KNOWLEDGE_DIR),
    "SENSITIVITY_LABEL_NAME": SENSITIVITY_LABEL[0],
    "SENSITIVITY_LABEL_DESCRIPTION": SENSITIVITY_LABEL[1],
}


@pytest.fixture(scope="session")
def bot(artifacts_dir: Path) -> Iterator[BotProcess]:
    """The repository's bot with its offline model, shared by all end-to-end tests."""
    with BotProcess({**BOT_ENV, "NOTIFY_API_KEY": NOTIFY_API_KEY}) as process:
        try:
            yield process
        finally:
            process.save_artifacts(artifacts_dir / "bot")


@pytest.fixture(scope="session")
def start_playground(
    playground_cli: Path, bot: BotProcess, artifacts_dir: Path
) -> Iterator[Callable[..., Playground]]:
    """Start a Playground connected to ``bot``: ``start_playground(name, channel=..., ...)``.

    All are stopped at the end of the session; their logs and recordings are copied to
    ``test-artifacts/e2e/playground-<name>/`` and their temporary directories removed.
    """
    started: list[tuple[str, Playground]] = []

    def start(name: str, **kwargs: Any) -> Playground:
        playground = Playground(bot.endpoint, **kwargs)
        started.append((name, playground))
        return playground.start()

    try:
        yield start
    finally:
        for name, playground in started:
            playground.stop()
            playground.save_artifacts(artifacts_dir / f"playground-{name}")
            playground.cleanup()


@pytest.fixture(scope="session")
def teams_playground(start_playground: Callable[..., Playground]) -> Playground:
    """The Playground as Teams (``-c msteams``): personal chat, group chat, channels."""
    return start_playground("msteams", channel="msteams")


@pytest.fixture(scope="session")
def emulator_playground(start_playground: Callable[..., Playground]) -> Playground:
    """The Playground sending ``channelId: "emulator"`` (``-c emulator``)."""
    return start_playground("emulator", channel="emulator")


@pytest.fixture(scope="session")
def webchat_playground(start_playground: Callable[..., Playground]) -> Playground:
    """The Playground sending ``channelId: "webchat"`` (``-c webchat``)."""
    return start_playground("webchat", channel="webchat")


@pytest.fixture(scope="session")
def expect_replies_playground(start_playground: Callable[..., Playground]) -> Playground:
    """The Playground as Teams sending ``deliveryMode: "expectReplies"``."""
    return start_playground("expect-replies", channel="msteams", delivery_mode="expectReplies")


@pytest.fixture(scope="session")
def browser_playground(start_playground: Callable[..., Playground]) -> Playground:
    """A Teams Playground of its own for the browser test, whose page takes its WebSockets."""
    return start_playground("browser", channel="msteams")


@pytest.fixture(scope="session")
def agents_host(artifacts_dir: Path) -> Iterator[BotProcess]:
    """The Agents SDK host (``python -m agents_host`` from its own environment), with the same
    settings as ``bot``."""
    with agents_host_process(BOT_ENV) as host:
        try:
            yield host
        finally:
            host.save_artifacts(artifacts_dir / "agents-host")


@pytest.fixture(scope="session")
def agents_host_playground(
    playground_cli: Path, agents_host: BotProcess, artifacts_dir: Path
) -> Iterator[Playground]:
    """A Teams Playground (``-c msteams``) in front of the Agents SDK host."""
    playground = Playground(agents_host.endpoint, channel="msteams")
    try:
        yield playground.start()
    finally:
        playground.stop()
        playground.save_artifacts(artifacts_dir / "playground-agents-host")
        playground.cleanup()


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium for Playwright; skipped without it on a developer machine, failed in CI."""
    return require_chromium()


@pytest.fixture(autouse=True)
def _report_processes_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a failed test, print the tails of the bot's and the Playgrounds' output.

    pytest shows a failed test's captured stdout, so the logs land next to the failure.
    """
    yield
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.failed:
        return
    for name in request.fixturenames:
        if name not in ("bot", "agents_host") and not name.endswith("_playground"):
            continue
        value = request.getfixturevalue(name)  # set up already: it is in this test's closure
        if isinstance(value, BotProcess):
            print(f"----- {name}: bot log (tail) -----\n{value.log[-6000:]}")
        elif isinstance(value, Playground):
            print(f"----- {name}: Playground output (tail) -----\n{value.output()[-3000:]}")
            print(f"----- {name}: Playground log (tail) -----\n{value.log_text()[-6000:]}")
