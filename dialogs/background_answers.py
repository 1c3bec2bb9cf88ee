"""Answers in turns of their own after the user's: what both hosts share of it.

`BackgroundAnswers.run` hands the answer to the `ConversationScheduler`, which starts it once the
user's turn is over, in the conversation's order, and shows its first sign at once, from the user's
turn (see `streaming.early_sign`); the rest of that turn then lets other messages' first signs go
first (`streaming.SignPriority`). A host says how its SDK continues the conversation
(`continuation`) and, where several instances share the conversations, what another instance would
need to finish the answer (`origin`). While the bot shuts down, a question gets a short reply
instead; an `expectReplies` request is answered inline, since its replies must be in its own HTTP
response.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Generic, Protocol, TypeVar

from channels.conversations import ConversationActivity, conversation_key
from safety import RunningAnswers
from streaming import AnswerSlot, ConversationScheduler, SignPriority
from streaming.conversation_scheduler import RunAnswer
from streaming.leases import AnswerOrigin

SHUTTING_DOWN_REPLY = "I'm restarting right now, so I can't answer that. Please send it again in a moment."


class _Activity(ConversationActivity, Protocol):
    @property
    def delivery_mode(self) -> object: ...


class _Turn(Protocol):
    """A turn of either SDK, as far as starting an answer is concerned."""

    @property
    def activity(self) -> _Activity: ...

    async def send_activity(self, activity_or_text: str) -> object: ...


Turn = TypeVar("Turn", bound=_Turn)
TurnWork = Callable[[Turn, AnswerSlot | None], Awaitable[None]]
"""Produces the answer in a turn; the slot is the conversation it belongs to (None: inline)."""
ShowSign = Callable[[AnswerSlot], Awaitable[None]]
"""Shows the first sign of the answer about to start in the slot, from the user's turn."""


class BackgroundAnswers(ABC, Generic[Turn]):
    """Runs each answer in a continuation turn after the user's turn; inline for `expectReplies`.

    With `running_answers` (the user limits' count when every instance shares it), each answer is
    counted there while it runs, so that a user's answers on other instances count too.
    """

    def __init__(
        self,
        scheduler: ConversationScheduler,
        running_answers: RunningAnswers | None = None,
        priority: SignPriority | None = None,
    ) -> None:
        self._scheduler = scheduler
        self._running_answers = running_answers
        self._priority = priority

    async def run(self, context: Turn, work: TurnWork[Turn], show_sign: ShowSign | None = None) -> None:
        """Run `work` in a continuation turn after `context`'s; in `context` for `expectReplies`.

        `show_sign` shows the answer's first sign now; the rest of `context`'s turn then defers to
        the messages still waiting for theirs.
        """
        if self._scheduler.closing:
            await context.send_activity(SHUTTING_DOWN_REPLY)
            return
        activity = context.activity
        if activity.delivery_mode == "expectReplies":
            await work(context, None)  # The replies must be in this request's response.
            return
        sender = activity.from_property
        user_id = sender.id if sender else None
        key = conversation_key(activity)
        run = self.continuation(context, work)
        if self._running_answers is not None and user_id:
            # It counts for the user from now on: its first sign shows before its own turn starts.
            await self._running_answers.about_to_run(user_id, key)
            run = _counted(run, self._running_answers, user_id, key)
        slot = self._scheduler.start(key, user_id, run, self.origin(context))
        if show_sign is not None:
            await show_sign(slot)
        if self._priority is not None:
            self._priority.settle(key)
            await self._priority.deferred()

    @abstractmethod
    def continuation(self, context: Turn, work: TurnWork[Turn]) -> RunAnswer:
        """How the host's SDK runs `work` in a turn of its own that replies to `context`'s message."""

    def origin(self, context: Turn) -> AnswerOrigin | None:
        """What another instance would need to finish the answer to `context`'s message; None if
        this host's answers cannot be finished elsewhere."""
        return None


def _counted(run: RunAnswer, running_answers: RunningAnswers, user_id: str, key: str) -> RunAnswer:
    """`run`, counted in `running_answers` as an answer to `user_id` in `key` while it runs."""

    async def counted(slot: AnswerSlot) -> None:
        async with running_answers.running(user_id, key):
            await run(slot)

    return counted
