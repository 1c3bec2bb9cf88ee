"""Message turns run after their request is answered: in arrival order per conversation, first signs first.

The channel waits for the HTTP answer to each message (Teams sends it again if the bot is slow),
and under a burst every turn queues behind the others on the one event loop. So a message is
acknowledged as soon as it is checked and authenticated, and its turn runs here, in the background:
a conversation's turns one after another in the order their requests came (the answers they start
keep that order in `streaming.ConversationScheduler`), and each counts as waiting for its first
sign (`streaming.SignPriority`) until it shows one or ends. SDK-free: a turn is a coroutine function.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from streaming import SignPriority
from streaming.running_tasks import RunningTasks

logger = logging.getLogger(__name__)

Turn = Callable[[], Awaitable[object]]
"""Runs one turn to its end (the adapter's turn, with its own error handling)."""


class InboundTurns:
    """The accepted message turns that have not ended yet, chained per conversation."""

    def __init__(self, priority: SignPriority) -> None:
        self._priority = priority
        self._last: dict[str, asyncio.Task[None]] = {}  # each conversation's latest turn
        self._running = RunningTasks()

    @property
    def active(self) -> int:
        """How many accepted turns have not ended (running or waiting for their conversation's)."""
        return len(self._running)

    def accept(self, key: str, turn: Turn) -> asyncio.Task[None]:
        """Run `turn` for conversation `key` once the conversation's earlier turns have ended; its task."""
        previous = self._last.get(key)
        task = asyncio.create_task(self._run(key, turn, previous))
        self._last[key] = task
        self._running.add(task)
        task.add_done_callback(lambda done: self._forget(key, done))
        return task

    async def wait_idle(self) -> None:
        """Wait until every accepted turn has ended."""
        await self._running.wait_idle()

    async def shutdown(self, grace_seconds: float) -> None:
        """Wait (at most `grace_seconds`) for the accepted turns to end."""
        if not self._running:
            return
        logger.info("finishing %d accepted messages before shutdown", len(self._running))
        _, pending = await asyncio.wait(self._running.snapshot(), timeout=grace_seconds)
        if pending:
            logger.warning(
                "%d accepted messages did not finish within %.0fs of shutdown", len(pending), grace_seconds
            )

    async def _run(self, key: str, turn: Turn, previous: asyncio.Task[None] | None) -> None:
        if previous is not None:
            await asyncio.wait({previous})
        try:
            await self._priority.admit(key)
            await turn()
        except Exception:
            # The adapter handles errors inside the turn; this is what it could not (building the turn).
            logger.exception("could not run the turn of a message in conversation %s", key)
        finally:
            self._priority.settle(key)

    def _forget(self, key: str, task: asyncio.Task[None]) -> None:
        """`key`'s turn has ended: if it was the conversation's latest, the conversation has none."""
        if self._last.get(key) is task:
            del self._last[key]
