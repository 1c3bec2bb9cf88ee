"""Each conversation's answers run in the background, one at a time, in the order their messages came.

The user's turn hands its answer to `ConversationScheduler.start` and ends: the channel's request
is answered at once, whatever the length of the answer (Azure Bot Service gives a turn about 15 s,
and Teams re-sends the message if the bot is late). The answer starts once the turn that asked for
it is over. A new message first interrupts the answer in progress and waits until it has delivered
its final message and saved its state. When several instances serve the bot, the conversation's
lease (see `leases.py`) extends that order to them: a message here first ends the answer another
instance is giving. Nothing here knows an SDK: the host says how an answer runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from .answer_stream import AnswerSlot, AnswerStream
from .early_sign import ShownSign
from .leases import AnswerOrigin, ConversationLease, ConversationLeases, OneInstance, ProgressLog
from .outcome import StopReason
from .pacing import Pacer
from .running_tasks import RunningTasks

logger = logging.getLogger(__name__)

RunAnswer = Callable[[AnswerSlot], Awaitable[None]]
"""Produces one answer in the conversation the slot stands for (the host's continuation turn)."""


class _Conversation:
    """One conversation's inbound-turn lock, its lease, its answer in progress and the pace of its streams."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.inbound_turn_over = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.answer: AnswerStream | None = None
        self.pending_stop: StopReason | None = None
        self.turns_waiting = 0
        self.user_id: str | None = None  # who asked the question being answered
        self.pacer: Pacer | None = None  # the pace of the conversation's stream sends, kept between answers
        self.lease: ConversationLease | None = None  # held from a message's turn until its answer is saved
        self.origin: AnswerOrigin | None = None  # what the answer about to start records of itself
        self.progress: ProgressLog | None = None  # where the answer in progress records what the user saw
        self.sign: ShownSign | None = None  # the first sign the user's turn showed for the answer to start

    def shared_pacer(self, own: Pacer) -> Pacer:
        """The pacer of the conversation's earlier answers, so a new stream keeps the channel's pace
        (also after an answer another instance gave)."""
        if self.pacer is None or self.pacer.interval != own.interval:
            self.pacer = own
        if self.lease is not None:
            self.pacer.next_send_at = max(self.pacer.next_send_at, self.lease.pace_until)
        return self.pacer

    def keep_sign(self, sign: ShownSign) -> None:
        """The user's turn showed the answer's first sign: the answer takes over from it."""
        self.sign = sign

    def take_sign(self) -> ShownSign | None:
        """The first sign shown for the answer now opening, if any (it is taken once)."""
        sign, self.sign = self.sign, None
        return sign

    def attach(self, answer: AnswerStream) -> None:
        """Called by the answer's stream when it opens, so that it can be interrupted."""
        self.answer = answer
        if self.pending_stop is not None:
            answer.interrupt(self.pending_stop)

    def interrupt(self, reason: StopReason) -> None:
        if self.answer is not None:
            self.answer.interrupt(reason)
        else:
            self.pending_stop = reason  # The answer has not opened its stream yet.

    @property
    def answering(self) -> bool:
        """An answer is on its way: scheduled, or streaming and not yet finishing."""
        return self.task is not None and (self.answer is None or self.answer.final_text is None)

    @property
    def idle(self) -> bool:
        return self.task is None and self.turns_waiting == 0


class ConversationScheduler:
    """Runs each conversation's answers in the background, in order, and stops them on shutdown.

    `leases` say which instance answers each conversation (by default: this one, alone).
    """

    def __init__(self, leases: ConversationLeases | None = None) -> None:
        self._leases: ConversationLeases = leases or OneInstance()
        self._conversations: dict[str, _Conversation] = {}
        self._answered_users: dict[str, set[str]] = {}
        """User id -> the conversations with an answer to them under way: counting a user's answers
        costs what that user has, not every open conversation."""
        self._closing = False
        self._running = RunningTasks()

    @property
    def active(self) -> int:
        """How many answers are in progress."""
        return len(self._running)

    @property
    def closing(self) -> bool:
        """Shutting down: no new answer starts."""
        return self._closing

    def answering(self, key: str) -> bool:
        """Whether an answer is on its way in conversation `key`."""
        conversation = self._conversations.get(key)
        return conversation is not None and conversation.answering

    async def answering_anywhere(self, key: str) -> bool:
        """Whether an answer is on its way in conversation `key`, here or on another instance."""
        return self.answering(key) or await self._leases.answering(key)

    def answers_elsewhere(self, user_id: str, key: str) -> int:
        """How many answers to `user_id` are in progress in conversations other than `key`."""
        return sum(
            1
            for other in self._answered_users.get(user_id, ())
            if other != key and self._conversations[other].answering
        )

    def start(
        self, key: str, user_id: str | None, run: RunAnswer, origin: AnswerOrigin | None = None
    ) -> AnswerSlot:
        """Run `run` for conversation `key` once its inbound turn is over, in the background; the
        answer's slot, where the turn may leave the answer's first sign (`keep_sign`).

        `origin` says what another instance would need to finish the answer if this one stops (see
        `leases.RecoverAnswer`); without it, no instance can.
        """
        conversation = self._conversations.setdefault(key, _Conversation())
        conversation.user_id = user_id
        if user_id is not None:
            self._answered_users.setdefault(user_id, set()).add(key)
        conversation.origin = origin
        task = asyncio.create_task(self._run(key, conversation, run))
        conversation.task = task
        self._running.add(task)
        return conversation

    async def stop(self, key: str, reason: StopReason) -> None:
        """End the answer in progress in conversation `key` and wait until it has delivered and saved,
        here or on the instance giving it."""
        conversation = self._conversations.get(key)
        task = conversation.task if conversation is not None else None
        if conversation is None or task is None:
            async with self.inbound_turn(key, reason):
                return  # Holding the conversation's lease took it from whoever was answering.
        conversation.interrupt(reason)
        await asyncio.wait({task})

    async def wait_idle(self) -> None:
        """Wait until no answer is in progress (each has delivered its final message and saved)."""
        await self._running.wait_idle()

    @asynccontextmanager
    async def inbound_turn(
        self, key: str, reason: StopReason | None = StopReason.NEW_MESSAGE
    ) -> AsyncIterator[None]:
        """Hold `key`'s conversation for one inbound turn, after its answer in progress has ended
        (here or on another instance: it is asked to end for `reason`; with no reason, as for a
        notification, it is let finish).

        An answer the turn starts keeps the conversation's lease until it is saved, and is recorded
        before the turn ends: once the channel knows the message was taken, another instance could
        finish its answer. Raises `storage.StorageUnavailableError` when the leases' shared store
        cannot be reached.
        """
        conversation = self._conversations.setdefault(key, _Conversation())
        conversation.turns_waiting += 1
        try:
            async with conversation.lock:
                task = conversation.task
                if task is not None:
                    if reason is not None:
                        conversation.interrupt(reason)
                    await asyncio.wait({task})
                # An interrupt from another instance, from here on, is for this turn and its answer.
                conversation.pending_stop = None
                conversation.lease = await self._leases.acquire(key, reason, conversation.interrupt)
                conversation.inbound_turn_over = asyncio.Event()
                try:
                    yield
                finally:
                    try:
                        if conversation.task is None:
                            await self._release(conversation)  # The turn started no answer.
                        else:
                            await self._begin_answer(conversation)
                    finally:
                        conversation.inbound_turn_over.set()
        finally:
            conversation.turns_waiting -= 1
            self._forget_if_idle(key, conversation)

    async def shutdown(self, grace_seconds: float) -> None:
        """Interrupt every answer and wait (at most `grace_seconds`) for them to end and save state."""
        self._closing = True
        tasks = self._running.snapshot()
        for conversation in self._conversations.values():
            conversation.interrupt(StopReason.SHUTDOWN)
        if tasks:
            logger.info("finishing %d open answers before shutdown", len(tasks))
            _, pending = await asyncio.wait(tasks, timeout=grace_seconds)
            if pending:
                logger.warning(
                    "%d answers did not finish within %.0fs of shutdown", len(pending), grace_seconds
                )

    async def _run(self, key: str, conversation: _Conversation, run: RunAnswer) -> None:
        try:
            await conversation.inbound_turn_over.wait()
            if conversation.lease is None:  # Started outside an inbound turn.
                conversation.lease = await self._leases.acquire(
                    key, StopReason.NEW_MESSAGE, conversation.interrupt
                )
                await self._begin_answer(conversation)
            await run(conversation)
        except Exception:
            # Errors inside the answer's turn went to the host's turn error handler; this is the host.
            logger.exception("could not continue conversation %s to answer", key)
        finally:
            self._forget_user(key, conversation.user_id)
            conversation.task = None
            conversation.answer = None
            conversation.progress = None
            conversation.sign = None
            conversation.pending_stop = None
            await self._release(conversation)
            self._forget_if_idle(key, conversation)

    @staticmethod
    async def _begin_answer(conversation: _Conversation) -> None:
        """Record the answer about to start under the conversation's lease, if it has an origin."""
        origin, conversation.origin = conversation.origin, None
        if origin is not None and conversation.lease is not None:
            conversation.progress = await conversation.lease.begin_answer(origin)

    async def _release(self, conversation: _Conversation) -> None:
        """Let go of the conversation's lease, telling the next holder when it may send."""
        lease, conversation.lease = conversation.lease, None
        if lease is not None:
            await lease.release(conversation.pacer.next_send_at if conversation.pacer is not None else 0.0)

    def _forget_user(self, key: str, user_id: str | None) -> None:
        """`key`'s answer is over: it no longer counts among `user_id`'s answers."""
        keys = self._answered_users.get(user_id) if user_id is not None else None
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._answered_users[user_id]

    def _forget_if_idle(self, key: str, conversation: _Conversation) -> None:
        if not conversation.idle or self._conversations.get(key) is not conversation:
            return
        loop = asyncio.get_running_loop()
        if conversation.pacer is not None and conversation.pacer.next_send_at > loop.time():
            # Kept until its pace allows a send again, so that the next answer keeps to it.
            loop.call_at(conversation.pacer.next_send_at, self._forget_if_idle, key, conversation)
            return
        del self._conversations[key]
