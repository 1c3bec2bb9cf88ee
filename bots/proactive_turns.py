"""Notifications on botbuilder: a turn of their own in a stored conversation, in the conversation's order.

`ProactiveTurns.deliver` continues the conversation from its stored reference (the adapter's
`continue_conversation`, as answers do) and sends a new message there, not a reply. The turn takes
the conversation's slot in the `ConversationScheduler` like an answer: it waits for the answer in
progress to finish (a notification does not cut off what the user is reading), and a message the
user sends meanwhile interrupts it as it interrupts any answer. A text goes out as one message,
retried as an answer's final message is; a prompt is answered by `ChatDialog.answer` with the
conversation's history, streamed where the channel streams, and the exchange joins the history.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.core.conversation_reference_extension import get_continuation_activity
from botbuilder.schema import ConversationReference

from channels import TurnContextChannel, conversation_key
from dialogs import TurnChanges
from proactive import SHUTDOWN_REASON, Delivery, Notification, Reference, operator_question
from streaming import AnswerSlot, ConversationScheduler, LoopClock, Outgoing, SendError, SendFailure
from streaming.retried_send import send_until_delivered

logger = logging.getLogger(__name__)

SaveState = Callable[[TurnContext], Awaitable[None]]


class Answerer(Protocol):
    """Answers a question in a turn with the conversation's history (`dialogs.ChatDialog`)."""

    async def answer(self, context: TurnContext, question: str, slot: AnswerSlot | None) -> None: ...


class ProactiveTurns:
    """Delivers notifications into stored conversations through `adapter`."""

    def __init__(
        self,
        scheduler: ConversationScheduler,
        adapter: BotAdapter,
        bot_app_id: str,
        answerer: Answerer,
        save_state: SaveState,
        *,
        delivery_deadline: float,
    ) -> None:
        self._scheduler = scheduler
        self._adapter = adapter
        self._bot_app_id = bot_app_id
        self._answerer = answerer
        self._save_state = save_state
        self._delivery_deadline = delivery_deadline

    async def deliver(self, stored: Reference, notification: Notification) -> Delivery:
        """Send `notification` in the conversation `stored` names; how it went."""
        reference = ConversationReference.deserialize(stored)
        key = conversation_key(get_continuation_activity(reference))
        delivered: asyncio.Future[Delivery] = asyncio.get_running_loop().create_future()

        async def notification_turn(slot: AnswerSlot) -> None:
            async def turn(context: TurnContext) -> None:
                context.activity.id = None  # A message of its own: not a reply to the continuation event.
                context.activity.locale = reference.locale  # The conversation's, as replies carry it.
                delivered.set_result(await self._notify(context, notification, slot))

            try:
                await self._adapter.continue_conversation(reference, turn, self._bot_app_id)
            finally:
                if not delivered.done():  # The turn failed before it started (see host/turn_errors.py).
                    delivered.set_result(Delivery("failed", "The bot could not continue the conversation."))

        if self._scheduler.closing:
            return Delivery("failed", SHUTDOWN_REASON)
        async with self._scheduler.inbound_turn(key, reason=None):
            if self._scheduler.closing:  # It shut down while the answer in progress finished.
                return Delivery("failed", SHUTDOWN_REASON)
            self._scheduler.start(key, None, notification_turn)
        return await delivered

    async def _notify(self, context: TurnContext, notification: Notification, slot: AnswerSlot) -> Delivery:
        """The notification turn: send or answer, then say how it went; failures are reported, not raised."""
        try:
            if notification.text is not None:
                await self._send_text(context, notification.text)
                return Delivery("sent")
            assert notification.prompt is not None
            await self._answerer.answer(context, operator_question(notification.prompt), slot)
            await self._save_state(context)
        except SendError as refusal:
            return _refused(refusal)
        except Exception as error:
            logger.exception("notification turn failed")
            return Delivery("failed", f"The bot failed: {type(error).__name__}.")
        added = TurnChanges.of(context).added
        return Delivery("sent", outcome=added[-1].get("outcome") if added else None)

    async def _send_text(self, context: TurnContext, text: str) -> None:
        """Send `text` as one message, retried (429, 412, 5xx) until the delivery deadline."""
        port = TurnContextChannel(context)
        refusal = await send_until_delivered(
            lambda: port.send(Outgoing("message", text)),
            "a notification",
            clock=LoopClock(),
            deadline=self._delivery_deadline,
        )
        if refusal is not None:
            raise refusal


def _refused(refusal: SendError) -> Delivery:
    """A delivery the channel refused: `removed` when the bot is no longer in the conversation (404,
    or a 403 that is not about a stream), else `failed`; with the channel's reason."""
    gone = refusal.status == 404 or (refusal.status == 403 and refusal.failure is SendFailure.REJECTED)
    return Delivery("removed" if gone else "failed", refusal.detail, refusal.status)
