"""Answers in a proactive continuation turn after the inbound request is acknowledged.

The Agents SDK's `continue_conversation(agent_app_id, continuation_activity, callback)` builds
claims from the app id, and with an empty one (anonymous local development) fails to get a token
for the user token client. `continue_conversation_with_claims` with the inbound turn's identity
works in both cases, as botbuilder's `continue_conversation(reference, callback, bot_id)` does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from microsoft_agents.activity import ConversationReference
from microsoft_agents.hosting.core import ChannelServiceAdapter, TurnContext
from microsoft_agents.hosting.core.authorization import ClaimsIdentity

logger = logging.getLogger(__name__)

Work = Callable[[TurnContext], Awaitable[None]]


class Continuations:
    """Runs each answer in its own background continuation turn, and waits for them on shutdown."""

    def __init__(self, adapter: ChannelServiceAdapter) -> None:
        self._adapter = adapter
        self._running: set[asyncio.Task[None]] = set()

    def start(self, inbound: TurnContext, work: Work) -> None:
        """Run `work` in a continuation turn of `inbound`'s conversation; the inbound turn returns at once."""
        reference = inbound.activity.get_conversation_reference()
        task = asyncio.create_task(self._continue(reference, inbound.identity or ClaimsIdentity(), work))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def shutdown(self, grace_seconds: float) -> None:
        """Wait (at most `grace_seconds`) for the answers in progress, then cancel the rest."""
        if not self._running:
            return
        _, pending = await asyncio.wait(set(self._running), timeout=grace_seconds)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _continue(self, reference: ConversationReference, identity: ClaimsIdentity, work: Work) -> None:
        async def turn(context: TurnContext) -> None:
            # Reply to the user's message, as the inbound turn would have (the continuation
            # activity carries a fresh id of its own).
            context.activity.id = reference.activity_id
            await work(context)

        try:
            await self._adapter.continue_conversation_with_claims(
                identity, reference.get_continuation_activity(), turn
            )
        except Exception:
            # Errors inside the turn went to the adapter's on_turn_error; this is the adapter itself.
            logger.exception("could not continue conversation %s to answer", reference.conversation.id)
