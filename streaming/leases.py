"""Who answers a conversation when several instances of the bot serve it: the contract, and the one
instance's version of it.

A conversation has one owner at a time: the instance that holds its lease, from a user's message
until that message's answer is delivered and its state saved (`ConversationScheduler` acquires and
releases it). An instance that gets a message for a conversation another instance holds asks that
one to end its answer, for the same reason as a message here would, and has the lease once it has.
While an answer runs, what the user has seen goes to its `ProgressLog` before each update, so that
another instance can finish the answer (`RecoverAnswer`) if its owner stops. Nothing here knows the
shared store (`instances/` implements this over Redis) or an SDK (the host finishes answers).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .outcome import AnswerOutcome, StopReason

InterruptAnswer = Callable[[StopReason], None]
"""Ends the conversation's answer in progress here, for a reason (another instance needs the conversation)."""


@dataclass(frozen=True)
class AnswerProgress:
    """What the user has seen of an answer, or is about to: what finishing it elsewhere needs."""

    stream_id: str | None
    """The stream open on the channel, if any."""
    sequence: int
    """The sequence number of that stream's latest update."""
    shown: str
    """The answer text that stream shows (the current piece, as sent; empty before any text)."""
    seen: str
    """The whole answer shown so far, earlier pieces included: what the history keeps."""
    ended: AnswerOutcome | None = None
    """Set once the answer's last message went out: how it ended (`seen` is then what the user got)."""


class ProgressLog(Protocol):
    """Where one answer keeps its latest progress while it runs."""

    @property
    def lead(self) -> float:
        """How long before an update is due it should be recorded (seconds), so that recording it
        does not hold the update up."""
        ...

    async def record(self, progress: AnswerProgress) -> None:
        """Keep `progress` as the answer's latest, before what it describes is sent. Never raises."""
        ...


AnswerOrigin = Callable[[], Mapping[str, Any]]
"""What the host records when an answer starts: what another instance would need to finish it
(JSON-compatible). Asked for only where several instances share the conversations."""


@dataclass(frozen=True)
class OrphanedAnswer:
    """An answer whose instance stopped before finishing it, as its progress log left it."""

    key: str
    origin: Mapping[str, Any]
    """What the host recorded when the answer started (its `AnswerOrigin`)."""
    progress: AnswerProgress


RecoverAnswer = Callable[[OrphanedAnswer, ProgressLog], Awaitable[float]]
"""Finishes an orphaned answer for the host: its last message (then recorded in the log, so that it
is never sent twice) and its history. Returns when the conversation's next stream send may go out,
on the event loop's clock."""


class ConversationLease(Protocol):
    """This instance's hold on one conversation."""

    @property
    def pace_until(self) -> float:
        """When the conversation's next stream send may go out (the event loop's clock), as the
        previous holder left it, so that the channel's pace holds between instances."""
        ...

    async def begin_answer(self, origin: AnswerOrigin) -> ProgressLog | None:
        """An answer starts under this lease; `origin()` says what another instance would need to
        finish it. Where its progress goes, or None if nowhere (one instance)."""
        ...

    async def release(self, pace_until: float) -> None:
        """Let the conversation go (after its answer is delivered and saved). Never raises."""
        ...


class ConversationLeases(Protocol):
    """The leases of every conversation, shared by the instances that serve them."""

    async def acquire(
        self, key: str, reason: StopReason | None, interrupt: InterruptAnswer
    ) -> ConversationLease:
        """Hold conversation `key`. If another instance holds it, it is asked to end its answer for
        `reason` (with none, it is let finish), and this waits until it has; an answer it left
        unfinished is finished first.
        While held, `interrupt` is called when another instance needs the conversation.

        Raises `storage.StorageUnavailableError` when the shared store cannot be reached.
        """
        ...

    async def answering(self, key: str) -> bool:
        """Whether an answer is in progress in conversation `key` on some instance."""
        ...


class _OwnLease:
    """A lease no one else can ask for: there is no one else."""

    pace_until = 0.0

    async def begin_answer(self, origin: AnswerOrigin) -> ProgressLog | None:
        return None

    async def release(self, pace_until: float) -> None:
        return None


class OneInstance:
    """The leases of a bot that runs as one instance: the scheduler's own order is all there is.

    Nothing is shared and nothing is recorded, so it costs nothing (SQLite, memory and Blob state).
    """

    _lease = _OwnLease()

    async def acquire(
        self, key: str, reason: StopReason | None, interrupt: InterruptAnswer
    ) -> ConversationLease:
        return self._lease

    async def answering(self, key: str) -> bool:
        return False
