"""First signs before everything else: a burst of messages is taken first come, first served, and work
that can wait lets the messages still without a first sign go first.

Under a burst the event loop runs every ready step in turn: hundreds of user turns would advance
together, step by step, and all show "Thinking…" at about the same late moment, with the state
saves and answers already under way mixed in. So at most `concurrency` messages work towards their
first sign at once (the rest wait in arrival order), and work that can wait (the rest of a user's
turn once its sign is out) defers until no message waits. Neither wait lasts more than `max_defer`
seconds: a turn that holds its place for long (one waiting for the previous answer to end) or a
steady stream of messages never starves the others.
"""

from __future__ import annotations

import asyncio
from collections import deque

MAX_DEFER = 1.0  # seconds: the longest that work which can wait, or a message's turn, is held back
CONCURRENCY = 32  # messages working towards their first sign at once: enough to overlap their I/O


class SignPriority:
    """The conversations whose current message has not shown its first sign yet."""

    def __init__(self, max_defer: float = MAX_DEFER, concurrency: int = CONCURRENCY) -> None:
        self._max_defer = max_defer
        self._concurrency = concurrency
        self._waiting: set[str] = set()  # admitted or queued; one message at a time per conversation
        self._admitted: set[str] = set()
        self._queue: deque[asyncio.Future[None]] = deque()
        self._none_waiting = asyncio.Event()
        self._none_waiting.set()

    @property
    def waiting(self) -> int:
        """How many messages wait for their first sign (working on it, or queued)."""
        return len(self._waiting)

    async def admit(self, key: str) -> None:
        """Conversation `key`'s message now waits for its first sign; return when it may work on it."""
        self._waiting.add(key)
        self._none_waiting.clear()
        if len(self._admitted) < self._concurrency and not self._queue:
            self._admitted.add(key)
            return
        turn = asyncio.get_running_loop().create_future()
        self._queue.append(turn)
        try:
            await asyncio.wait_for(asyncio.shield(turn), self._max_defer)
        except TimeoutError:
            pass  # Held back long enough: it goes on beside the others.
        finally:
            if not turn.done():
                self._queue.remove(turn)
                turn.cancel()
        self._admitted.add(key)

    def settle(self, key: str) -> None:
        """Conversation `key`'s message showed its first sign, or needs none; idempotent."""
        self._waiting.discard(key)
        if key in self._admitted:
            self._admitted.discard(key)
            if self._queue and len(self._admitted) < self._concurrency:
                self._queue.popleft().set_result(None)  # The queue holds only turns still waiting.
        if not self._waiting:
            self._none_waiting.set()

    async def deferred(self) -> None:
        """Return once no message waits for its first sign, or after `max_defer` seconds."""
        if self._none_waiting.is_set():
            return
        try:
            async with asyncio.timeout(self._max_defer):
                await self._none_waiting.wait()
        except TimeoutError:
            pass
