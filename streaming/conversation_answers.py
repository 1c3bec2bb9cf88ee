"""Answers produced after the inbound request is acknowledged, one at a time per conversation.

The inbound turn hands the answer to `ConversationAnswers.run`, which continues the conversation
through the adapter's proactive `continue_conversation` in a background task; the channel's
request is answered at once, whatever the length of the answer (Azure Bot Service gives a turn
about 15 s, and Teams re-sends the message if the bot is late). Turns of one conversation run in
order: a new message first interrupts the answer in progress and waits until it has delivered its
final message and saved its state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from botbuilder.core import BotAdapter, Middleware, TurnContext
from botbuilder.schema import ActivityTypes, ConversationReference, DeliveryModes

from channels import conversation_key

from .answer_stream import ANSWER_SLOT_KEY, AnswerStream, StopReason
from .pacing import Pacer

logger = logging.getLogger(__name__)

AnswerWork = Callable[[TurnContext], Awaitable[None]]
SaveState = Callable[[TurnContext], Awaitable[None]]
HandOverState = Callable[[TurnContext, TurnContext], None]

SHUTTING_DOWN_REPLY = "I'm restarting right now, so I can't answer that. Please send it again in a moment."


class _Conversation:
    """One conversation's inbound-turn lock and its answer in progress."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.inbound_turn_over = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.answer: AnswerStream | None = None
        self.pending_stop: StopReason | None = None
        self.turns_waiting = 0
        self.user_id: str | None = None  # who asked the question being answered
        self.pacer: Pacer | None = None  # the pace of the conversation's stream sends, kept between answers

    def shared_pacer(self, own: Pacer) -> Pacer:
        """The pacer of the conversation's earlier answers, so a new stream keeps the channel's pace."""
        if self.pacer is None or self.pacer.interval != own.interval:
            self.pacer = own
        return self.pacer

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


class ConversationAnswers:
    """Runs each conversation's answers in the background, in order, and stops them on shutdown.

    An answer's turn starts once the user's turn has ended (and saved its state), from the state
    that turn saved (`hand_over_state`), and ends by saving state with `save_state`.
    """

    def __init__(
        self,
        adapter: BotAdapter,
        bot_app_id: str,
        save_state: SaveState,
        hand_over_state: HandOverState | None = None,
    ) -> None:
        self._adapter = adapter
        self._bot_app_id = bot_app_id
        self._save_state = save_state
        self._hand_over_state = hand_over_state
        self._conversations: dict[str, _Conversation] = {}
        self._closing = False
        self._running: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def active(self) -> int:
        """How many answers are in progress."""
        return len(self._running)

    def answers_elsewhere(self, user_id: str, key: str) -> int:
        """How many answers to `user_id` are in progress in conversations other than `key`."""
        return sum(
            1
            for other, conversation in self._conversations.items()
            if conversation.answering and conversation.user_id == user_id and other != key
        )

    def answering(self, key: str) -> bool:
        """Whether an answer is on its way in conversation `key`."""
        conversation = self._conversations.get(key)
        return conversation is not None and conversation.answering

    async def stop(self, key: str, reason: StopReason) -> None:
        """End the answer in progress in conversation `key` and wait until it has delivered and saved."""
        conversation = self._conversations.get(key)
        task = conversation.task if conversation is not None else None
        if conversation is None or task is None:
            return
        conversation.interrupt(reason)
        await asyncio.wait({task})

    async def wait_idle(self) -> None:
        """Wait until no answer is in progress (each has delivered its final message and saved)."""
        await self._idle.wait()

    async def run(self, context: TurnContext, work: AnswerWork) -> None:
        """Run `work` in a continuation turn after this one; in this turn for `expectReplies`."""
        if self._closing:
            await context.send_activity(SHUTTING_DOWN_REPLY)
            return
        if context.activity.delivery_mode == DeliveryModes.expect_replies:
            await work(context)  # The replies must be in this request's response.
            return
        reference = TurnContext.get_conversation_reference(context.activity)
        key = conversation_key(context.activity)
        conversation = self._conversations.setdefault(key, _Conversation())
        conversation.pending_stop = None
        conversation.user_id = context.activity.from_property.id if context.activity.from_property else None
        task = asyncio.create_task(self._continue(key, conversation, context, reference, work))
        conversation.task = task
        self._running.add(task)
        self._idle.clear()
        task.add_done_callback(self._finished)

    @asynccontextmanager
    async def inbound_turn(self, key: str) -> AsyncIterator[None]:
        """Hold `key`'s conversation for one inbound turn, after its answer in progress has ended."""
        conversation = self._conversations.setdefault(key, _Conversation())
        conversation.turns_waiting += 1
        try:
            async with conversation.lock:
                task = conversation.task
                if task is not None:
                    conversation.interrupt(StopReason.NEW_MESSAGE)
                    await asyncio.wait({task})
                conversation.inbound_turn_over = asyncio.Event()
                try:
                    yield
                finally:
                    conversation.inbound_turn_over.set()
        finally:
            conversation.turns_waiting -= 1
            self._forget_if_idle(key, conversation)

    async def shutdown(self, grace_seconds: float) -> None:
        """Interrupt every answer and wait (at most `grace_seconds`) for them to end and save state."""
        self._closing = True
        tasks = set(self._running)
        for conversation in self._conversations.values():
            conversation.interrupt(StopReason.SHUTDOWN)
        if tasks:
            logger.info("finishing %d open answers before shutdown", len(tasks))
            _, pending = await asyncio.wait(tasks, timeout=grace_seconds)
            if pending:
                logger.warning(
                    "%d answers did not finish within %.0fs of shutdown", len(pending), grace_seconds
                )

    async def _continue(
        self,
        key: str,
        conversation: _Conversation,
        inbound: TurnContext,
        reference: ConversationReference,
        work: AnswerWork,
    ) -> None:
        async def continuation(context: TurnContext) -> None:
            # Reply to the user's message, as the inbound turn would have (the continuation
            # activity carries a fresh id of its own).
            context.activity.id = reference.activity_id
            context.turn_state[ANSWER_SLOT_KEY] = conversation
            if self._hand_over_state is not None:
                self._hand_over_state(inbound, context)
            await work(context)
            await self._save_state(context)

        try:
            await conversation.inbound_turn_over.wait()
            await self._adapter.continue_conversation(reference, continuation, self._bot_app_id)
        except Exception:
            # Errors inside the turn went to the adapter's on_turn_error; this is the adapter itself.
            logger.exception("could not continue conversation %s to answer", key)
        finally:
            conversation.task = None
            conversation.answer = None
            self._forget_if_idle(key, conversation)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if not self._running:
            self._idle.set()

    def _forget_if_idle(self, key: str, conversation: _Conversation) -> None:
        if not conversation.idle or self._conversations.get(key) is not conversation:
            return
        loop = asyncio.get_running_loop()
        if conversation.pacer is not None and conversation.pacer.next_send_at > loop.time():
            # Kept until its pace allows a send again, so that the next answer keeps to it.
            loop.call_at(conversation.pacer.next_send_at, self._forget_if_idle, key, conversation)
            return
        del self._conversations[key]


class ConversationOrderMiddleware(Middleware):
    """Runs each user message's turn only after the conversation's previous answer has ended."""

    def __init__(self, answers: ConversationAnswers) -> None:
        self._answers = answers

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        if context.activity.type != ActivityTypes.message:
            await logic()
            return
        async with self._answers.inbound_turn(conversation_key(context.activity)):
            await logic()
