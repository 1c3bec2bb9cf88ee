"""The Playground's own page in headless Chromium: a person types a question and watches, then
rates the answer.

Python Playwright drives Debian's ``/usr/bin/chromium`` (never ``playwright install``). The
page may only reach the Playground on 127.0.0.1: every other request (the page asks a CDN for
web fonts and an animation) is aborted and host names do not resolve. Screenshots of the
start, the middle of the stream and the final answer go to ``test-artifacts/e2e/browser/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from knowledge.knowledge_tool import KnowledgeTool
from tests.e2e.conftest import SENSITIVITY_LABEL
from tests.e2e.expect import REPLY_LIMIT, full_answer, new_marker
from tests.e2e.playground import Playground, error_exchanges, stream_info
from tests.support.bot_process import BotProcess
from tests.support.chromium import CHROMIUM_ARGS, loopback_only
from tests.support.stored_feedback import stored_feedback

if TYPE_CHECKING:
    from playwright.async_api import Page

pytestmark = pytest.mark.e2e


#: The compose box (a Lexical contenteditable).
COMPOSE_BOX = "[data-lexical-editor=true][role=textbox]"

#: The chat pane's messages in order: the bot's carry a "Message author" in their header. While a
#: bubble streams, the Playground ends its text with a cursor, a ``<span>|</span>`` after the
#: rendered Markdown; the final message has none.
MESSAGES_JS = """() => [...document.querySelectorAll('[aria-label="Message header"]')].map(header => {
    const item = header.parentElement;
    const author = header.querySelector('[aria-label="Message author"]');
    const body = [...item.children].filter(child => child !== header);
    const cursor = body.flatMap(child => [...child.querySelectorAll('span')]).find(span =>
        span.children.length === 0 && span.textContent === '|' && span.previousElementSibling !== null);
    const text = body.map(child => child.innerText).join("\\n").trim();
    return {
        author: author ? author.innerText.trim() : null,
        text: cursor ? text.replace(/\\|$/, '').trim() : text,
        streaming: Boolean(cursor),
    };
})"""

#: Whether the citation card (a popover) has finished fading in.
CARD_SHOWN_JS = """() => {
    const card = document.querySelector('.fai-PreviewContent');
    const popover = card && card.closest('[data-popper-placement]');
    return Boolean(popover) && getComputedStyle(popover).opacity === '1';
}"""

POLL_INTERVAL = 0.1


@dataclass
class Sighting:
    """The reply bubble as the page showed it, ``at`` seconds after sending."""

    at: float
    text: str
    streaming: bool  # the streaming cursor was showing


def words(text: str) -> list[str]:
    """The words of rendered text, without Markdown marks a partial render may still show."""
    return re.sub(r"[*`_]", "", text).split()


async def reply_bubble(page, marker: str) -> Sighting | None:
    """The first bot message after the user's message holding ``marker`` (``at`` is 0)."""
    messages = await page.evaluate(MESSAGES_JS)
    asked = next((i for i, m in enumerate(messages) if m["author"] is None and marker in m["text"]), None)
    if asked is None:
        return None
    reply = next((m for m in messages[asked + 1 :] if m["author"] is not None), None)
    return None if reply is None else Sighting(0.0, reply["text"], reply["streaming"])


@contextlib.asynccontextmanager
async def personal_chat(chromium: Path, pg: Playground, shots: Path) -> AsyncIterator[Page]:
    """The Playground's page in headless Chromium with its personal chat open and the bot's welcome
    shown; only the Playground is reachable. After a failure the page is kept as ``failure.png``."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 800})
            await context.route("**/*", loopback_only)
            page = await context.new_page()
            await page.goto(pg.base_url)
            await page.get_by_role("treeitem", name="Personal Chat").click()
            await page.locator(COMPOSE_BOX).wait_for(timeout=30_000)
            # The chat is open once the bot's welcome (sent when the chat is installed) shows.
            await page.locator('[aria-label="Message author"]').first.wait_for(timeout=30_000)
            yield page
        except BaseException:
            for context in browser.contexts:
                for page in context.pages:
                    await page.screenshot(path=shots / "failure.png")
            raise
        finally:
            await browser.close()


async def test_browser_shows_partial_text_before_the_final_answer(
    chromium: Path, browser_playground: Playground, artifacts_dir: Path
) -> None:
    """Type in the compose box; the answer bubble shows part of the answer, then all of it."""
    pg = browser_playground
    shots = artifacts_dir / "browser"
    shots.mkdir(parents=True, exist_ok=True)
    marker = new_marker("browser")
    question = f"Show me streaming ({marker})"
    last_line = full_answer(question).splitlines()[-1]  # rendered as typed: plain text

    def is_partial(bubble: Sighting | None) -> bool:
        """Part of the answer, still streaming (not the "Thinking…" line, not all of it)."""
        return bool(
            bubble
            and bubble.streaming
            and words(bubble.text)[:3] == ["No", "language", "model"]
            and last_line not in bubble.text
        )

    async with personal_chat(chromium, pg, shots) as page:
        box = page.locator(COMPOSE_BOX)
        await page.screenshot(path=shots / "1-start.png")

        await box.click()
        await box.press_sequentially(question)
        await box.press("Enter")
        sent = time.monotonic()

        sightings: list[Sighting] = []  # every change of the bubble
        partial: Sighting | None = None  # the first partial answer on screen
        final: Sighting | None = None
        while final is None:
            assert time.monotonic() - sent < REPLY_LIMIT, f"no final answer; saw {sightings}"
            bubble = await reply_bubble(page, marker)
            if bubble is not None:
                bubble.at = round(time.monotonic() - sent, 2)
                if not sightings or (sightings[-1].text, sightings[-1].streaming) != (
                    bubble.text,
                    bubble.streaming,
                ):
                    sightings.append(bubble)
                    if is_partial(bubble):
                        # Capture it, and keep the picture only if the page still showed a
                        # partial answer once it was taken. The last such picture (the most
                        # text short of the end) is 2-mid-stream.png.
                        await page.screenshot(path=shots / "mid-stream.tmp.png")
                        if is_partial(await reply_bubble(page, marker)):
                            (shots / "mid-stream.tmp.png").replace(shots / "2-mid-stream.png")
                            partial = partial or bubble
                if not bubble.streaming and last_line in bubble.text:
                    final = bubble
                    await page.screenshot(path=shots / "3-final.png")
                    break
            await asyncio.sleep(POLL_INTERVAL)

    print("what the answer bubble showed (seconds after sending):")
    for sighting in sightings:
        state = "streaming" if sighting.streaming else "         "
        print(f"  {sighting.at:5.2f} {state} {sighting.text[:90]!r}{'…' if len(sighting.text) > 90 else ''}")

    assert partial is not None, f"no partial answer was visible before the final one: {sightings}"
    assert partial.at < final.at
    assert len(partial.text) < len(final.text)
    shown, whole = words(partial.text), words(final.text)
    assert whole[: len(shown) - 1] == shown[:-1], "the partial text is not the start of the answer"
    assert f"You wrote: “{question}”" in final.text
    turn = pg.turn(pg.personal_chat_id, marker)  # typed in the page, streamed by the bot
    assert [(stream_info(a) or {}).get("streamType") for a in turn.sent][-1] == "final"
    assert error_exchanges(pg.recording()) == []


async def test_browser_shows_the_ai_label_and_takes_a_rating(
    chromium: Path, browser_playground: Playground, bot: BotProcess, artifacts_dir: Path
) -> None:
    """A question the knowledge base answers: the bubble shows the search, then the final answer its
    citation, "AI generated", the sensitivity label and the thumbs; a thumbs-up with a comment,
    submitted in the Playground's form, thanks the person and is stored."""
    pg = browser_playground
    shots = artifacts_dir / "browser"
    shots.mkdir(parents=True, exist_ok=True)
    marker = new_marker("browser-ai")
    question = f"What does a hotel in Paris cost ({marker})?"
    comment = f"Clear and quick ({marker})"

    async with personal_chat(chromium, pg, shots) as page:
        box = page.locator(COMPOSE_BOX)
        await box.click()
        await box.press_sequentially(question)
        await box.press("Enter")
        # While the offline model searches, the bot's bubble says so.
        bubbles = page.locator("xpath=//*[@aria-label='Message header']/..")
        searching = bubbles.get_by_text(KnowledgeTool.status, exact=True)
        await searching.wait_for(timeout=REPLY_LIMIT * 1000)
        # The answer's message: its header, its text and, once final, its feedback buttons.
        answer = bubbles.filter(has_text=f"searched the knowledge base for “{question}”")
        like = answer.locator("[aria-label='Feedback Button'] button[aria-label='Like']")
        await like.wait_for(timeout=REPLY_LIMIT * 1000)
        header = answer.locator("[aria-label='Message header']")
        assert await header.get_by_text("AI generated", exact=True).count() == 1
        assert await header.get_by_role("img", name=SENSITIVITY_LABEL[0]).count() == 1
        assert (
            await answer.locator("[aria-label='Feedback Button'] button[aria-label='Dislike']").count() == 1
        )
        # The [1] marker is a citation pill; over it, a card shows the passage and its source.
        pill = answer.locator("a.fai-Citation")
        assert await pill.all_inner_texts() == ["1"]
        await pill.hover()
        card = page.locator(".fai-PreviewContent")
        await card.locator(".fai-PreviewMetadata__primaryText", has_text="Travel policy: Hotels").wait_for(
            timeout=10_000
        )
        assert "Hotels cost at most 180 euros a night" in await card.inner_text()
        await page.wait_for_function(CARD_SHOWN_JS)  # the card has faded in: the picture shows it
        await page.screenshot(path=shots / "4-cited-answer.png")
        await page.keyboard.press("Escape")

        await like.click()
        form = page.get_by_role("dialog")
        await form.locator("textarea").fill(comment)
        await form.get_by_role("button", name="Submit").click()
        await page.get_by_text("Thank you!").wait_for(timeout=10_000)
        await page.screenshot(path=shots / "5-feedback-sent.png")
        assert await page.get_by_text("Unable to reach app").count() == 0

    stored = [
        item
        for item in stored_feedback(bot.sqlite_path, pg.personal_chat_id).values()
        if item["text"] == comment
    ]
    assert [(item["reaction"], item["user_id"]) for item in stored] == [("like", pg.user_id)]
    assert error_exchanges(pg.recording()) == []
