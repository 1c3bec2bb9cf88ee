"""What a turn changed in the conversation's and the user's state, so that a save can apply it again.

When two turns of one conversation save at once (two messages, two instances), the one that saves
second is refused (eTags) and must apply its own change to what the first saved: the history
entries it added (or that it cleared the history), and the profile its settings dialog saved.
Dialogs record their changes here; `bots.TurnStateSaver` applies them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from answers import HistoryEntry, trim_history
from answers.profile import UserProfile

from .user_profile import PROFILE_PROPERTY

if TYPE_CHECKING:
    from botbuilder.core import TurnContext

HISTORY_PROPERTY = "history"
"""The `ConversationState` property that holds the history."""


@dataclass
class TurnChanges:
    """One turn's changes to the state; `TurnChanges.of(context)` is the turn's own record."""

    added: list[HistoryEntry] = field(default_factory=list)
    history_cleared: bool = False
    profile_saved: UserProfile | None = None
    saved: bool = False
    """The turn's state is saved: what the turn holds is what storage holds."""

    @staticmethod
    def of(context: TurnContext) -> TurnChanges:
        """The record of `context`'s turn, made on first use (the turn's state keeps it under this class)."""
        changes = context.turn_state.get(TurnChanges)
        if changes is None:
            changes = context.turn_state[TurnChanges] = TurnChanges()
        return changes

    def add_to_history(self, entries: Sequence[HistoryEntry]) -> None:
        """This turn added `entries` to the history."""
        self.added.extend(entries)

    def clear_history(self) -> None:
        """This turn cleared the history: what it added before is gone too."""
        self.history_cleared = True
        self.added = []

    def save_profile(self, profile: UserProfile) -> None:
        """This turn saved `profile` (the settings dialog)."""
        self.profile_saved = dict(profile)

    def apply_to_conversation(self, fresh_state: dict[str, object], budget: int) -> None:
        """Apply this turn's history change to history another turn saved meanwhile (`fresh_state`).

        This turn's entries are added to it; if this turn cleared the history, the fresh history is
        cleared too, and holds only what this turn added after clearing it.
        """
        if self.history_cleared:
            fresh_state[HISTORY_PROPERTY] = trim_history(self.added, budget)
        elif self.added:
            history = fresh_state.get(HISTORY_PROPERTY) or []
            fresh_state[HISTORY_PROPERTY] = trim_history([*history, *self.added], budget)

    def apply_to_user(self, fresh_state: dict[str, object]) -> None:
        """This turn's saved profile replaces the one another turn saved meanwhile.

        A turn that did not save a profile keeps the fresh one, so a turn that only read the profile
        never undoes a profile that a settings dialog in another turn saved.
        """
        if self.profile_saved is not None:
            fresh_state[PROFILE_PROPERTY] = dict(self.profile_saved)
