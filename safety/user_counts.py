"""Where the per-user limits count: the contract, and one process's counts.

`UserLimits` asks a `UserCounts` about each message; a host counts each answer it runs in
`RunningAnswers` when the counts are shared by several instances (`shared_limits.py`).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from streaming import ConversationScheduler

from .settings import SafetySettings
from .token_buckets import TokenBuckets


@dataclass(frozen=True)
class MessageCount:
    """What one user's message counts against their limits."""

    within_rate: bool
    """The message was taken from the user's token bucket (False: the bucket was empty)."""
    answers_elsewhere: int
    """The user's answers in progress in conversations other than the message's."""


class UserCounts(Protocol):
    """Where each user's message rate and answers in progress are counted."""

    async def count(self, user: str, conversation_key: str) -> MessageCount:
        """Count `user`'s message in `conversation_key`. Raises `storage.StorageUnavailableError` when
        the shared counts cannot be reached."""
        ...

    async def close(self) -> None: ...


class RunningAnswers(Protocol):
    """Where answers are counted that this process alone does not see (another instance's)."""

    async def about_to_run(self, user: str, conversation_key: str) -> None:
        """Count an answer to `user` in `conversation_key` from now, before `running` takes over (it
        lapses by itself if the answer never runs). Never raises."""
        ...

    def running(self, user: str, conversation_key: str) -> AbstractAsyncContextManager[None]:
        """Count an answer to `user` in `conversation_key` while the block runs. Never raises."""
        ...


class CountsHere:
    """The counts of one process: its token buckets, and the answers its scheduler runs."""

    def __init__(self, settings: SafetySettings, scheduler: ConversationScheduler) -> None:
        self._buckets = TokenBuckets(settings)
        self._scheduler = scheduler

    async def count(self, user: str, conversation_key: str) -> MessageCount:
        return MessageCount(
            self._buckets.take(user), self._scheduler.answers_elsewhere(user, conversation_key)
        )

    async def close(self) -> None:
        """Nothing to release: the counts live in this process."""
