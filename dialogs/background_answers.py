"""Answers in turns of their own after the user's: what both hosts share of it.

`BackgroundAnswers.run` hands the answer to the `ConversationScheduler`, which starts it once the
user's turn is over, in the conversation's order; a host says how its SDK continues the conversation
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
from streaming import AnswerSlot, ConversationScheduler
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


class BackgroundAnswers(ABC, Generic[Turn]):
    """Runs each answer in a continuation turn after the user's turn; inline for `expectReplies`."""

    def __init__(self, scheduler: ConversationScheduler) -> None:
        self._scheduler = scheduler

    async def run(self, context: Turn, work: TurnWork[Turn]) -> None:
        """Run `work` in a continuation turn after `context`'s; in `context` for `expectReplies`."""
        if self._scheduler.closing:
            await context.send_activity(SHUTTING_DOWN_REPLY)
            return
        activity = context.activity
        if activity.delivery_mode == "expectReplies":
            await work(context, None)  # The replies must be in this request's response.
            return
        sender = activity.from_property
        run = self.continuation(context, work)
        self._scheduler.start(
            conversation_key(activity), sender.id if sender else None, run, self.origin(context)
        )

    @abstractmethod
    def continuation(self, context: Turn, work: TurnWork[Turn]) -> RunAnswer:
        """How the host's SDK runs `work` in a turn of its own that replies to `context`'s message."""

    def origin(self, context: Turn) -> AnswerOrigin | None:
        """What another instance would need to finish the answer to `context`'s message; None if
        this host's answers cannot be finished elsewhere."""
        return None
