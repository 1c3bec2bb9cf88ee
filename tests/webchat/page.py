"""Web Chat in headless Chromium, used as a person uses it: type a question, watch the transcript.

A MutationObserver in the page records the transcript after every change of its DOM, so a test
sees each state the person saw (every partial answer), not only the ones it happened to poll.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Self

from playwright.async_api import BrowserContext, ConsoleMessage, Error, Page

from tests.support.directline import DirectLineEmulator

#: Records {at, bubbles, typing} in window.__transcripts whenever what is shown changes. A bubble
#: is one transcript item: who said it, its rendered text, and the HTML elements it contains.
RECORDER_JS = """
(() => {
  window.__transcripts = [];
  let last = '';
  const bubble = article => {
    const layout = article.querySelector('.webchat__stacked-layout');
    const content = [...article.querySelectorAll('.webchat__bubble__content')];
    return {
      role: layout && layout.classList.contains('webchat__stacked-layout--from-user') ? 'user' : 'bot',
      text: content.map(element => element.innerText.trim()).join('\\n'),
      tags: [...new Set(content.flatMap(element => [...element.querySelectorAll('*')].map(e => e.localName)))]
    };
  };
  const record = () => {
    const bubbles = [...document.querySelectorAll('article.webchat__basic-transcript__activity')].map(bubble);
    const typing = document.querySelector('.webchat__typing-indicator') !== null;
    const key = JSON.stringify([bubbles, typing]);
    if (key !== last) {
      last = key;
      window.__transcripts.push({ at: performance.now(), bubbles, typing });
    }
  };
  new MutationObserver(record).observe(document, { childList: true, subtree: true, characterData: true });
})();
"""

#: Web Chat's send box.
SEND_BOX = "[data-id=webchat-sendbox-input]"

#: The last bubble of the bot's welcome (see bots/welcome.py): the chat is ready once it shows.
WELCOME_END = "Pick one to start, or just type your question."


@dataclass(frozen=True)
class Bubble:
    """One transcript item as rendered: who said it, its visible text, the elements it holds."""

    role: Literal["user", "bot"]
    text: str
    tags: frozenset[str]


@dataclass(frozen=True)
class Snapshot:
    """The transcript at one moment (`at`: milliseconds on the page's clock)."""

    at: float
    bubbles: tuple[Bubble, ...]
    typing: bool
    """Web Chat's typing indicator (the dots) was showing."""

    @property
    def conversation(self) -> tuple[Bubble, ...]:
        """The bubbles from the user's first message on (the welcome comes before it)."""
        first = next((i for i, bubble in enumerate(self.bubbles) if bubble.role == "user"), len(self.bubbles))
        return self.bubbles[first:]


class WebChatPage:
    """One Web Chat page, and so one Direct Line conversation, with everything it showed and logged."""

    def __init__(self, page: Page, emulator: DirectLineEmulator) -> None:
        self.page = page
        self.emulator = emulator
        self.conversation_id = ""
        self.snapshots: list[Snapshot] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        """Console errors and uncaught exceptions of the page."""
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    @classmethod
    async def open(cls, context: BrowserContext, emulator: DirectLineEmulator) -> Self:
        """Load the page, and wait until the bot's welcome shows (the chat is ready)."""
        await context.add_init_script(RECORDER_JS)
        chat = cls(await context.new_page(), emulator)
        await chat.page.goto(emulator.url)
        # DirectLineJS knows its conversation once it is online (ConnectionStatus.Online is 2).
        chat.conversation_id = await chat.page.evaluate(
            "() => new Promise(resolve => window.directLine.connectionStatus$.subscribe("
            "status => status === 2 && resolve(window.directLine.conversationId)))"
        )
        await chat.wait_for(lambda shown: any(WELCOME_END in bubble.text for bubble in shown.bubbles))
        return chat

    async def ask(self, question: str) -> None:
        """Type `question` into the send box and press Enter."""
        box = self.page.locator(SEND_BOX)
        await box.fill(question)
        await box.press("Enter")

    async def wait_for(self, condition: Callable[[Snapshot], bool], within: float = 15.0) -> Snapshot:
        """Wait until the transcript shows what `condition` wants; return that snapshot.

        Each round waits for the page to record a change, so nothing is polled on a timer.
        """
        deadline = time.monotonic() + within
        while True:
            for raw in await self.page.evaluate("n => window.__transcripts.slice(n)", len(self.snapshots)):
                self.snapshots.append(_snapshot(raw))
            if self.snapshots and condition(self.snapshots[-1]):
                return self.snapshots[-1]
            remaining_ms = (deadline - time.monotonic()) * 1000
            try:
                if remaining_ms <= 0:
                    raise TimeoutError
                await self.page.wait_for_function(
                    "n => window.__transcripts.length > n", arg=len(self.snapshots), timeout=remaining_ms
                )
            except (TimeoutError, Error) as error:
                shown = self.snapshots[-1].bubbles if self.snapshots else "nothing"
                raise AssertionError(
                    f"the page did not show it within {within}s; it shows {shown}"
                ) from error

    async def wait_for_finals(self, count: int, within: float = 15.0) -> list[dict[str, Any]]:
        """Wait until Direct Line has sent the page `count` final stream messages; return them."""
        conversation = self.emulator.conversations[self.conversation_id]

        def finals() -> list[dict[str, Any]]:
            return [
                activity
                for activity in conversation.activities
                if activity["type"] == "message"
                and (activity.get("channelData") or {}).get("streamType") == "final"
            ]

        await self.emulator.wait_until(lambda: len(finals()) >= count, within)
        return finals()

    async def screenshot(self, path: Path) -> None:
        """Save what the page shows now as a PNG (test-artifacts/webchat/)."""
        await self.page.screenshot(path=path)

    def _on_console(self, message: ConsoleMessage) -> None:
        self.console.append(f"{message.type}: {message.text}")
        if message.type == "error":
            self.errors.append(f"console error: {message.text} ({message.location.get('url')})")


def _snapshot(raw: dict[str, Any]) -> Snapshot:
    bubbles = tuple(Bubble(item["role"], item["text"], frozenset(item["tags"])) for item in raw["bubbles"])
    return Snapshot(raw["at"], bubbles, raw["typing"])
