"""Saves a turn's state, merging with what another turn of the conversation saved meanwhile."""

from __future__ import annotations

from botbuilder.core import BotState, ConversationState, TurnContext, UserState
from botbuilder.core.bot_state import CachedBotState
from botbuilder.schema import ActivityTypes

from dialogs import TurnChanges
from dialogs.user_profile import PROFILE_PROPERTY
from storage import save_with_retry
from storage.items import CREATE_ONLY, expected_etag

DIALOG_STATE_PROPERTY = "DialogState"


class TurnStateSaver:
    """Ends every turn: saves conversation and user state with eTags, and merges on a conflict; a
    user's turn starts by loading both (`load`), for its answer's turn to start from.

    A conflict means another turn (another instance, or one that raced this one) saved first.
    Its state is kept, and this turn's changes are applied on top: history entries are added
    again (or, if this turn reset the history, the fresh history is cleared as well), a user's turn
    keeps its dialog state, and a profile saved by this turn's settings dialog replaces the fresh one.
    """

    def __init__(
        self, conversation_state: ConversationState, user_state: UserState, history_budget: int
    ) -> None:
        # BotState keeps its storage here; there is no public getter.
        if conversation_state._storage is not user_state._storage:
            raise ValueError("the conversation state and the user state must share one storage")
        self._storage = conversation_state._storage
        self._conversation_state = conversation_state
        self._user_state = user_state
        self._history_budget = history_budget

    async def load(self, context: TurnContext) -> None:
        """Read the conversation's and the user's state in one storage call, at the start of a user's
        turn, so that its answer's turn is handed both (`hand_over`) and needs the storage only to save.

        What `BotState.load` does for each (a state this turn holds already is kept), with one read
        instead of two (one Redis round trip).
        """
        states = [
            state for state in (self._conversation_state, self._user_state) if not _cached(state, context)
        ]
        if not states:
            return
        keys = [state.get_storage_key(context) for state in states]
        items = await self._storage.read(keys)
        for state, key in zip(states, keys, strict=True):
            # BotState keeps its cache under this key; there is no public setter.
            context.turn_state[state._context_service_key] = CachedBotState(items.get(key))

    async def save(self, context: TurnContext) -> None:
        user_turn = context.activity.type == ActivityTypes.message
        changes = TurnChanges.of(context)
        dialog_state = _cached(self._conversation_state, context).get(DIALOG_STATE_PROPERTY)

        def merge_conversation(fresh: dict[str, object]) -> None:
            changes.apply_to_conversation(fresh, self._history_budget)
            if user_turn and dialog_state is not None:
                fresh[DIALOG_STATE_PROPERTY] = dialog_state

        await save_with_retry(self._conversation_state, context, merge_conversation)

        # The profile merges by what this turn recorded; any other user-state property this turn holds
        # is applied as it is.
        user_changes = {
            key: value
            for key, value in _cached(self._user_state, context).items()
            if key not in ("e_tag", PROFILE_PROPERTY)
        }

        def merge_user(fresh: dict[str, object]) -> None:
            fresh.update(user_changes)
            changes.apply_to_user(fresh)

        await save_with_retry(self._user_state, context, merge_user)
        changes.saved = True

    def hand_over(self, saved_turn: TurnContext, next_turn: TurnContext) -> None:
        """Start `next_turn` (the answer's own turn) from the state `saved_turn` saved, unread.

        Our storages stamp each saved item with its new eTag, so the state is as stored; if another
        turn changes it meanwhile, the next save conflicts and merges as usual. State that was not
        saved, or never stored, is left for `next_turn` to read.
        """
        if not TurnChanges.of(saved_turn).saved:
            return
        for state in (self._conversation_state, self._user_state):
            cached = state.get_cached_state(saved_turn)
            if cached is not None and expected_etag(cached.state) not in (None, CREATE_ONLY):
                # BotState keeps its cache under this key; there is no public setter.
                next_turn.turn_state[state._context_service_key] = cached


def _cached(state: BotState, context: TurnContext) -> dict[str, object]:
    cached = state.get_cached_state(context)
    return cached.state if cached is not None else {}
