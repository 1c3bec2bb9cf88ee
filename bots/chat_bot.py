"""The bot: welcomes new members, runs the main dialog on each message, takes feedback on answers."""

from __future__ import annotations

from botbuilder.core import ActivityHandler, ConversationState, InvokeResponse, TurnContext
from botbuilder.dialogs import Dialog, DialogExtensions
from botbuilder.schema import ChannelAccount

from channels import is_group_conversation

from .feedback import FeedbackInvokes
from .state_saver import DIALOG_STATE_PROPERTY, TurnStateSaver
from .welcome import welcome_activities

NOT_TEXT_REPLY = "I can only read text for now. Please type your question."


class ChatBot(ActivityHandler):
    """Runs `dialog` for every text message and saves conversation and user state after each turn.

    In group conversations, `GroupMentionMiddleware` has already dropped the messages that do not
    @mention the bot, and removed the mention from the others. Feedback invokes go to `feedback`;
    other invokes get the SDK's answer.
    """

    def __init__(
        self,
        conversation_state: ConversationState,
        state_saver: TurnStateSaver,
        dialog: Dialog,
        feedback: FeedbackInvokes,
        *,
        offline: bool,
    ) -> None:
        self._state_saver = state_saver
        self._dialog = dialog
        self._feedback = feedback
        self._dialog_state = conversation_state.create_property(DIALOG_STATE_PROPERTY)
        self._offline = offline

    async def on_turn(self, turn_context: TurnContext) -> None:
        await super().on_turn(turn_context)
        await self._state_saver.save(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        if not (turn_context.activity.text or "").strip():
            await turn_context.send_activity(NOT_TEXT_REPLY)
            return
        await self._state_saver.load(turn_context)
        await DialogExtensions.run_dialog(self._dialog, turn_context, self._dialog_state)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        answer = await self._feedback.answer(turn_context)
        return answer if answer is not None else await super().on_invoke_activity(turn_context)

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        """Welcome people who join a personal chat; in a group, welcome once, when the bot joins."""
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        if is_group_conversation(activity):
            welcome = any(member.id == bot_id for member in members_added)
        else:
            welcome = any(member.id != bot_id for member in members_added)
        if welcome:
            await turn_context.send_activities(welcome_activities(activity, offline=self._offline))
