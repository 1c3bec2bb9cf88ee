"""A turn's chat state on the Agents SDK: the conversation's history and the user's profile, kept in
the same rows as botbuilder's (`ConversationState` property "history", `UserState` property
"profile", under the same keys), so that either host can serve a conversation.

The SDK's `AgentState` caches the state it loads on the instance as well as in the turn, and
`save` writes the instance's: one shared by concurrent turns would save one conversation's state
under another's key. So each turn gets its own `ConversationState` and `UserState` here.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence

from microsoft_agents.hosting.core import ConversationState, Storage, TurnContext, UserState

from answers import HistoryEntry, trim_history
from answers.profile import UserProfile
from dialogs import HISTORY_PROPERTY
from dialogs.user_profile import PROFILE_PROPERTY
from storage import StorageConflictError
from storage.items import CREATE_ONLY

logger = logging.getLogger(__name__)

SAVE_ATTEMPTS = 10
CONFLICT_BACKOFF = 0.005  # seconds, times the attempt number, at most, before merging again


class TurnChatState:
    """One turn's view of the history (read and added to) and the profile (read only: botbuilder's
    settings dialog writes it)."""

    def __init__(self, storage: Storage, context: TurnContext, history_budget: int) -> None:
        self._context = context
        self._history_budget = history_budget
        self._conversation = ConversationState(storage)
        self._history = self._conversation.create_property(HISTORY_PROPERTY)
        self._profile = UserState(storage).create_property(PROFILE_PROPERTY)

    async def history(self) -> list[HistoryEntry]:
        """The conversation's history, as stored (loaded on first use)."""
        return list(await self._history.get(self._context, list))

    async def profile(self) -> UserProfile | None:
        """The user's answer preferences, or None if they never chose any."""
        return await self._profile.get(self._context)

    async def add_to_history(self, entries: Sequence[HistoryEntry]) -> None:
        """Add `entries` to the history, trimmed to its budget, and save it.

        If another turn (another instance, or the other host) saved the conversation meanwhile, the
        save is refused (eTags; a conversation that had no state is created only if it still has
        none): the fresh history is read and the entries are added to it, as `storage.save_with_retry`
        does on botbuilder. After `SAVE_ATTEMPTS` the conflict is raised: a write is never lost silently.
        """
        for attempt in range(1, SAVE_ATTEMPTS + 1):
            history = await self.history()
            await self._history.set(self._context, trim_history([*history, *entries], self._history_budget))
            state = self._conversation.get()
            state["e_tag"] = state.get("e_tag") or CREATE_ONLY
            try:
                await self._conversation.save(self._context)
                return
            except StorageConflictError as conflict:
                if attempt == SAVE_ATTEMPTS:
                    raise
                logger.info(
                    "history save conflict (attempt %d of %d), merging: %s", attempt, SAVE_ATTEMPTS, conflict
                )
            # A short random pause, growing with each conflict, so that racing turns do not keep colliding.
            await asyncio.sleep(random.uniform(0, CONFLICT_BACKOFF * attempt))
            await self._conversation.load(self._context, force=True)
