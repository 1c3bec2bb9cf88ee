"""The bot: greets new members and runs the main dialog on each message."""

from __future__ import annotations

from botbuilder.core import ActivityHandler, ConversationState, TurnContext
from botbuilder.dialogs import Dialog, DialogExtensions
from botbuilder.schema import ChannelAccount

from .state_saver import DIALOG_STATE_PROPERTY, TurnStateSaver

NOT_TEXT_REPLY = "I can only read text for now. Please type your question."


def welcome_text(*, offline: bool) -> str:
    """The greeting for new members; it says so when no real model is configured."""
    text = "Hi! Ask me anything: I answer with a language model and you can watch the answer being written."
    if offline:
        text += " (No model is configured yet, so a built-in offline stand-in answers for now.)"
    return text


class ChatBot(ActivityHandler):
    """Runs `dialog` for every text message and saves conversation and user state after each turn."""

    def __init__(
        self,
        conversation_state: ConversationState,
        state_saver: TurnStateSaver,
        dialog: Dialog,
        welcome_text: str,
    ) -> None:
        self._state_saver = state_saver
        self._dialog = dialog
        self._dialog_state = conversation_state.create_property(DIALOG_STATE_PROPERTY)
        self._welcome_text = welcome_text

    async def on_turn(self, turn_context: TurnContext) -> None:
        await super().on_turn(turn_context)
        await self._state_saver.save(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        if not (turn_context.activity.text or "").strip():
            await turn_context.send_activity(NOT_TEXT_REPLY)
            return
        await DialogExtensions.run_dialog(self._dialog, turn_context, self._dialog_state)

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(member.id != bot_id for member in members_added):
            await turn_context.send_activity(self._welcome_text)
