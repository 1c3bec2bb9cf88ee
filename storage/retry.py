"""Saving a turn's state when another turn of the same conversation saved first."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable

from botbuilder.core import BotState, TurnContext
from botbuilder.core.bot_state import CachedBotState
from jsonpickle.pickler import Pickler

from .base import FlatItemStorage
from .errors import StorageConflictError
from .items import CREATE_ONLY, FlatItem

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
    if cached is None:
        return
    flat = Pickler().flatten(cached.state)
    text = str(flat)  # what `CachedBotState.compute_hash(cached.state)` returns
    if text == cached.hash:  # unchanged: `cached.is_changed` is False
        return
    etag = cached.state.get("e_tag") or CREATE_ONLY
    for attempt in range(1, attempts + 1):
        if cached.state.get("e_tag") != etag:
            # A str flattens to itself, and a dict keeps its keys' order: `flat` stays the state's.
            cached.state["e_tag"] = flat["e_tag"] = etag
            text = str(flat)
        try:
            await _save_changes(state, turn_context, cached, flat, text)
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
        flat = Pickler().flatten(cached.state)
        text = str(flat)


async def _save_changes(
    state: BotState, turn_context: TurnContext, cached: CachedBotState, flat: dict[str, object], text: str
) -> None:
    """`state.save_changes(turn_context)`, given the state's flattening `flat` and its text (its hash).

    A storage of ours writes `flat` as it is, and the new hash is `flat` with the eTag the write
    stamped: one jsonpickle pass per save where `save_changes` makes four (two `is_changed`, the
    write, the new hash). Any other storage is saved by `save_changes` itself.
    """
    # BotState keeps its storage here; there is no public getter.
    storage = state._storage
    if not isinstance(storage, FlatItemStorage):
        await state.save_changes(turn_context)
        return
    if text == cached.hash:
        return
    await storage.write({state.get_storage_key(turn_context): FlatItem(cached.state, flat)})
    flat["e_tag"] = cached.state["e_tag"]
    cached.hash = str(flat)
