"""Citations in Web Chat 4.18.1: why the bot sends them there as Markdown link definitions.

The answer is produced by the streaming engine in a turn of the bot's own adapter and sent, as the
bot sends it, to the local Direct Line; the page shows what Web Chat made of it. Web Chat 4.18.1
draws citations (numbered links, a list of references, a popup for a source without a URL, the
sensitivity label) only from link definitions at the end of the text, matched to the Message
entity's claims; the claims alone, as Teams takes them, show nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference

from channels import TurnContextChannel, conversation_facts
from channels.turn_context_port import to_activity
from config import DefaultConfig
from connector import ConnectorHttp, ReusingBotFrameworkAuthentication
from streaming import (
    AnswerMarks,
    AnswerStream,
    Citation,
    Outgoing,
    SensitivityLabel,
    StreamingSettings,
    plan_delivery,
)
from tests.webchat.page import WebChatPage

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

ANSWER = "Rainbows form when sunlight refracts in raindrops [1], which act as tiny prisms [2]."
CITATIONS = (
    Citation(1, "Rainbow physics", "Sunlight bends as it enters a drop.", url="https://example.com/rainbow"),
    Citation(2, "Optics notes", "Each drop splits white light into its colours."),
)
MARKS = AnswerMarks(feedback="default", sensitivity=SensitivityLabel("General", "Fine to share"))
QUICK = StreamingSettings(webchat_interval=0.1)

Turn = Callable[[TurnContext], Awaitable[None]]
TurnIn = Callable[[WebChatPage, Turn], Awaitable[None]]


@pytest_asyncio.fixture(loop_scope="module")
async def turn_in() -> AsyncIterator[TurnIn]:
    """Runs a turn of the bot's own adapter in a page's conversation, as the bot's answers run."""
    http = ConnectorHttp()
    adapter = CloudAdapter(ReusingBotFrameworkAuthentication(DefaultConfig({}), http))

    async def run(chat: WebChatPage, logic: Turn) -> None:
        reference = ConversationReference(
            channel_id="webchat",
            service_url=chat.emulator.url,
            conversation=ConversationAccount(id=chat.conversation_id),
            user=ChannelAccount(id="user-1"),
            bot=ChannelAccount(id="bot-1", name="Streaming Bot"),
        )
        await adapter.continue_conversation(reference, logic, "")

    yield run
    await http.close()


async def answer(context: TurnContext) -> None:
    """`ANSWER` citing `CITATIONS`, delivered by the streaming engine (in one message: it is all
    there at once) with the marks the bot puts on its answers."""
    plan = plan_delivery(conversation_facts(context.activity), QUICK)
    async with AnswerStream(TurnContextChannel(context), plan, QUICK, marks=MARKS) as stream:
        stream.append(ANSWER)
        stream.cite(CITATIONS)


async def references(chat: WebChatPage) -> list[str]:
    """The text of each entry of the references list under the bot's last message."""
    return await chat.page.locator(".webchat__link-definitions__list-item").all_inner_texts()


async def test_web_chat_draws_the_bots_citations(
    chat: WebChatPage, turn_in: TurnIn, artifacts_dir: Path
) -> None:
    await turn_in(chat, answer)
    shown = await chat.wait_for(lambda s: any(b.role == "bot" and "tiny prisms" in b.text for b in s.bubbles))
    await chat.page.locator(".webchat__link-definitions__list-item").nth(1).wait_for()
    await chat.screenshot(artifacts_dir / "citations.png")

    [sent] = [
        a for a in chat.emulator.conversations[chat.conversation_id].activities if a["type"] == "message"
    ][-1:]
    assert sent["text"].startswith(ANSWER) and "\n\n[1]: " in sent["text"]
    [bubble] = [b for b in shown.bubbles if b.role == "bot" and "tiny prisms" in b.text]
    assert "]: " not in bubble.text and "cite:" not in bubble.text  # the definitions are not text
    assert "a" in bubble.tags  # the markers are links
    entries = [" ".join(entry.split()) for entry in await references(chat)]
    assert entries == ["1 Rainbow physics", "2 Optics notes"]
    assert (
        await chat.page.locator(".webchat__link-definitions__message-sensitivity-label").inner_text()
        == "General"
    )
    # The marker [1] in the text and the reference both link to the source.
    links = chat.page.get_by_role("link", name="Rainbow physics")
    assert (
        await links.evaluate_all("links => links.map(link => link.href)")
        == ["https://example.com/rainbow"] * 2
    )

    # The marker [2] of a source without a URL opens a popup with its passage.
    await chat.page.locator(".webchat__render-markdown__citation", has_text="2").click()
    popup = chat.page.locator(".webchat__citation-modal-dialog")
    await popup.get_by_text(CITATIONS[1].abstract).wait_for()
    assert chat.errors == []


async def test_the_teams_form_alone_shows_no_sources_in_web_chat(chat: WebChatPage, turn_in: TurnIn) -> None:
    """What the bot would send if it served Web Chat as Teams: the claims show nowhere."""

    async def as_for_teams(context: TurnContext) -> None:
        outgoing = Outgoing("message", ANSWER, marks=AnswerMarks(citations=CITATIONS))
        await context.send_activity(to_activity(outgoing, "entity"))

    await turn_in(chat, as_for_teams)
    shown = await chat.wait_for(lambda s: any(b.role == "bot" and "tiny prisms" in b.text for b in s.bubbles))

    [bubble] = [b for b in shown.bubbles if b.role == "bot" and "tiny prisms" in b.text]
    assert bubble.text == ANSWER  # the markers stay plain text
    assert await references(chat) == []
    assert chat.errors == []
