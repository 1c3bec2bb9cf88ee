"""The bot's dialogs in the SDK's DialogTestClient, with conversation and user state as the app has them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from botbuilder.core import ConversationState, MemoryStorage, Middleware, TurnContext, UserState
from botbuilder.schema import Activity
from botbuilder.testing import DialogTestClient

from answers import ChatAnswer, ChatSettings
from bots import TurnStateSaver
from dialogs import HISTORY_PROPERTY, ChatDialog, MainDialog, ResetDialog, SettingsDialog
from dialogs.user_profile import PROFILE_PROPERTY
from llm import ChatModel
from streaming import StreamingSettings

FAST = StreamingSettings(teams_interval=1.0, webchat_interval=0.05, typing_interval=0.05)
SYSTEM_PROMPT = "You are a test."


class SaveStateAtTurnEnd(Middleware):
    """Ends every turn as `ChatBot` does: `TurnStateSaver.save` (eTags, merge on conflict)."""

    def __init__(self, saver: TurnStateSaver) -> None:
        self._saver = saver

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        await logic()
        await self._saver.save(context)


@dataclass
class DialogBot:
    """A DialogTestClient over `MainDialog` and the state it keeps."""

    client: DialogTestClient
    conversation_state: ConversationState
    user_state: UserState

    async def send(self, activity: str | Activity) -> list[Activity]:
        """Send `activity`; return every reply of the turn."""
        first = await self.client.send_activity(activity)
        replies = [first] if first is not None else []
        while (reply := self.client.get_next_reply()) is not None:
            replies.append(reply)
        return replies

    async def say(self, activity: str | Activity) -> list[str]:
        """Send `activity`; return the text of each message the bot replied with."""
        return [reply.text for reply in await self.send(activity) if reply.type == "message"]

    async def history(self) -> list[dict[str, str]]:
        context = self.client.dialog_context.context
        await self.conversation_state.load(context, force=True)
        return await self.conversation_state.create_property(HISTORY_PROPERTY).get(context) or []

    async def profile(self) -> dict[str, object] | None:
        context = self.client.dialog_context.context
        await self.user_state.load(context, force=True)
        return await self.user_state.create_property(PROFILE_PROPERTY).get(context)


def make_dialog_bot(
    model: ChatModel, *, channel: str = "test", budget: int = 10_000, storage: MemoryStorage | None = None
) -> DialogBot:
    storage = storage or MemoryStorage()
    conversation_state = ConversationState(storage)
    user_state = UserState(storage)
    chat = ChatAnswer(model, ChatSettings(SYSTEM_PROMPT, budget), FAST)
    dialog = MainDialog(
        ChatDialog(chat, conversation_state, user_state),
        SettingsDialog(user_state.create_property(PROFILE_PROPERTY)),
        ResetDialog(conversation_state.create_property(HISTORY_PROPERTY)),
    )
    saver = TurnStateSaver(conversation_state, user_state, budget)
    client = DialogTestClient(
        channel, dialog, conversation_state=conversation_state, middlewares=[SaveStateAtTurnEnd(saver)]
    )
    return DialogBot(client, conversation_state, user_state)
