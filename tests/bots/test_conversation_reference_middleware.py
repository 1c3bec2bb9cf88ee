"""The conversation's reference is kept after the turn, in the background: the reply never waits for
the storage, a failing turn still keeps it, and a storage failure is a warning, not a failed turn."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from botbuilder.core import TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount

from bots.conversation_references import ConversationReferenceMiddleware
from proactive import ConversationReferences
from storage import SqliteStorage

THINKING = "Thinking…"
CONVERSATION = "Convo1"  # TestAdapter's conversation
REFERENCE = {
    "bot": {"id": "bot", "name": "Bot"},
    "channelId": "test",
    "conversation": {"id": CONVERSATION},
    "serviceUrl": "https://test.com",
    "user": {"id": "User1", "name": "user"},
}


class HeldStorage(SqliteStorage):
    """A real SQLite storage whose writes wait until the test lets them through."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.writing = asyncio.Event()
        """Set once a write has started (and waits for `gate`)."""
        self.gate = asyncio.Event()

    async def write(self, changes: dict[str, object]) -> None:
        self.writing.set()
        await self.gate.wait()
        await super().write(changes)


async def thinking(context: TurnContext) -> None:
    await context.send_activity(THINKING)


def adapter_for(
    references: ConversationReferences, logic: Callable[[TurnContext], Awaitable[None]]
) -> TestAdapter:
    """botbuilder's in-process adapter, with the middleware before the bot's logic."""
    adapter = TestAdapter(logic)
    adapter.use(ConversationReferenceMiddleware(references))
    return adapter


def replies(adapter: TestAdapter) -> list[str]:
    return [activity.text for activity in adapter.activity_buffer]


@pytest.fixture
async def held(tmp_path: Path) -> AsyncIterator[HeldStorage]:
    storage = HeldStorage(tmp_path / "references.sqlite3")
    yield storage
    storage.gate.set()
    await storage.close()


async def test_the_reply_does_not_wait_for_the_references_write(held: HeldStorage) -> None:
    references = ConversationReferences(held)
    adapter = adapter_for(references, thinking)

    await adapter.receive_activity("Hello")
    assert replies(adapter) == [THINKING]
    await held.writing.wait()  # its reference's write is under way, and held
    renamed = Activity(
        type=ActivityTypes.message, text="Again", from_property=ChannelAccount(id="User1", name="Ana")
    )
    await adapter.receive_activity(renamed)  # a changed reference: queued behind the held write
    assert replies(adapter) == [THINKING, THINKING]
    assert await references.find([CONVERSATION]) == {}

    held.gate.set()
    await references.wait_idle()
    assert await references.find([CONVERSATION]) == {
        CONVERSATION: {**REFERENCE, "user": {"id": "User1", "name": "Ana"}}
    }


async def test_a_turn_that_fails_still_keeps_its_reference(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "references.sqlite3")
    references = ConversationReferences(storage)

    async def fails(_context: TurnContext) -> None:
        raise RuntimeError("the bot's logic failed")

    try:
        with pytest.raises(RuntimeError, match="the bot's logic failed"):
            await adapter_for(references, fails).receive_activity("Hello")
        await references.wait_idle()
        assert await references.find([CONVERSATION]) == {CONVERSATION: REFERENCE}
    finally:
        await storage.close()


async def test_the_bot_removed_after_a_message_drops_the_reference(held: HeldStorage) -> None:
    references = ConversationReferences(held)
    adapter = adapter_for(references, thinking)

    await adapter.receive_activity("Hello")
    await held.writing.wait()  # the message's keep is under way when the bot is removed
    removal = Activity(type=ActivityTypes.installation_update, action="remove")
    await adapter.receive_activity(removal)
    held.gate.set()
    await references.wait_idle()
    assert await references.find([CONVERSATION]) == {}

    await adapter.receive_activity(Activity(type=ActivityTypes.installation_update, action="add"))
    await references.wait_idle()
    assert await references.find([CONVERSATION]) == {CONVERSATION: REFERENCE}


async def test_a_storage_outage_is_a_warning_and_the_turn_succeeds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "data"
    folder.write_text("a file where the database's folder should be")
    storage = SqliteStorage(folder / "references.sqlite3")
    references = ConversationReferences(storage)
    adapter = adapter_for(references, thinking)
    try:
        with caplog.at_level(logging.WARNING):
            await adapter.receive_activity("Hello")
            assert replies(adapter) == [THINKING]
            await references.wait_idle()
            gc.collect()  # an exception nobody retrieved would be reported now
        [warning] = caplog.records
        assert (warning.levelno, warning.name) == (logging.WARNING, "proactive.references")
        assert f"could not keep conversation {CONVERSATION}'s reference" in warning.getMessage()

        folder.unlink()  # the storage is back: the next turn offers the reference again
        await adapter.receive_activity("Hello again")
        await references.wait_idle()
        assert await references.find([CONVERSATION]) == {CONVERSATION: REFERENCE}
    finally:
        await storage.close()
