"""First signs before everything else: work that can wait lets the messages still without one go first.

Under a burst the event loop runs every ready step in turn, so the user turns, state saves and
answers already under way would delay each new message's "Thinking…" by all of their work. A
message counts as waiting from the start of its turn until its first sign is out (or its turn has
decided it needs none); work that can wait (the rest of a user's turn once its sign is out) defers
until no message waits, for at most `max_defer` seconds, so that it is never starved.
"""

from __future__ import annotations

import asyncio

MAX_DEFER = 1.0  # seconds: the longest that work which can wait is held back


class SignPriority:
    """The conversations whose current message has not shown its first sign yet."""

    def __init__(self, max_defer: float = MAX_DEFER) -> None:
        self._max_defer = max_defer
        self._waiting: set[str] = set()
        self._none_waiting = asyncio.Event()
        self._none_waiting.set()

    @property
    def waiting(self) -> int:
        """How many messages wait for their first sign."""
        return len(self._waiting)

    def expect(self, key: str) -> None:
        """Conversation `key`'s message (one at a time per conversation) now waits for its first sign."""
        self._waiting.add(key)
        self._none_waiting.clear()

    def settle(self, key: str) -> None:
        """Conversation `key`'s message showed its first sign, or needs none; idempotent."""
        self._waiting.discard(key)
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
