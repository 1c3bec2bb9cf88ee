"""Saving a turn's state when another turn of the same conversation saved first."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable

from botbuilder.core import BotState, TurnContext

from .errors import StorageConflictError
from .items import CREATE_ONLY

logger = logging.getLogger(__name__)

Reapply = Callable[[dict[str, object]], None]
CONFLICT_BACKOFF = 0.005  # seconds, times the attempt number, at most, before merging again


async def save_with_retry(
    state: BotState, turn_context: TurnContext, reapply: Reapply, *, attempts: int = 10
) -> None:
    """Save `state` like `BotState.save_changes`; if another turn saved first, merge and save again.

    `reapply` makes this turn's change again on the freshly loaded state (for example: append this
    turn's messages to the history), in place. It runs once per conflict, at most `attempts - 1` times;
    then the last `StorageConflictError` is raised, so a write is never lost silently.
    State that did not exist when the turn loaded it is created only if it still does not exist, so
    two first turns of a conversation conflict too, instead of the second overwriting the first.
    Call it once, at the end of the turn, in place of `save_changes`.
    """
    cached = state.get_cached_state(turn_context)
    if cached is None or not cached.is_changed:
        return
    etag = cached.state.get("e_tag") or CREATE_ONLY
    for attempt in range(1, attempts + 1):
        cached.state["e_tag"] = etag
        try:
            await state.save_changes(turn_context)
            return
        except StorageConflictError as conflict:
            if attempt == attempts:
                raise
            logger.info("state save conflict (attempt %d of %d), merging: %s", attempt, attempts, conflict)
        # A short random pause, growing with each conflict, so that two turns racing in lock-step
        # do not keep colliding (livelock).
        await asyncio.sleep(random.uniform(0, CONFLICT_BACKOFF * attempt))
        await state.load(turn_context, force=True)
        cached = state.get_cached_state(turn_context)
        etag = cached.state.get("e_tag") or CREATE_ONLY
        reapply(cached.state)
