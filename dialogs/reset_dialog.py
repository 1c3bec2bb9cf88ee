"""reset: asks for confirmation, then clears this conversation's history."""

from __future__ import annotations

from botbuilder.core import MessageFactory, StatePropertyAccessor
from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from botbuilder.dialogs.choices import ListStyle
from botbuilder.dialogs.prompts import ConfirmPrompt
from recognizers_text import Culture

from channels import is_group_conversation

from .cancel_and_help_dialog import CancelAndHelpDialog, question
from .turn_changes import TurnChanges

CONFIRM_PROMPT = "reset.confirm"
GROUP_CONFIRM_PROMPT = "reset.confirm.group"
CONFIRM_QUESTION = "Shall I forget our conversation so far and start over?"
CONFIRM_RETRY = "Please answer yes or no: shall I forget our conversation so far?"
RESET_DONE_TEXT = "Done: I have forgotten our conversation. Ask me anything."
RESET_KEPT_TEXT = "Okay, I have kept our conversation."


class ResetDialog(CancelAndHelpDialog):
    """Clears the history in `ConversationState` once the user confirms."""

    def __init__(self, history_accessor: StatePropertyAccessor) -> None:
        super().__init__(ResetDialog.__name__)
        self._history = history_accessor
        self.add_dialog(ConfirmPrompt(CONFIRM_PROMPT, default_locale=Culture.English))
        # In groups, yes/no in the text: a button's message would carry no @mention. ConfirmPrompt
        # (4.17.1) ignores PromptOptions.style, hence a prompt of its own.
        group_confirm = ConfirmPrompt(GROUP_CONFIRM_PROMPT, default_locale=Culture.English)
        group_confirm.style = ListStyle.in_line
        self.add_dialog(group_confirm)
        self.add_dialog(WaterfallDialog("reset.steps", [self._confirm_step, self._reset_step]))
        self.initial_dialog_id = "reset.steps"

    async def _confirm_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        group = is_group_conversation(step.context.activity)
        return await step.prompt(
            GROUP_CONFIRM_PROMPT if group else CONFIRM_PROMPT,
            question(CONFIRM_QUESTION, CONFIRM_RETRY),
        )

    async def _reset_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        if not step.result:
            await step.context.send_activity(MessageFactory.text(RESET_KEPT_TEXT))
            return await step.end_dialog(False)
        await self._history.set(step.context, [])
        TurnChanges.of(step.context).clear_history()
        await step.context.send_activity(MessageFactory.text(RESET_DONE_TEXT))
        return await step.end_dialog(True)
