"""The root dialog: routes each message to the dialog that handles it."""

from __future__ import annotations

from botbuilder.core import MessageFactory
from botbuilder.dialogs import ComponentDialog, DialogTurnResult, WaterfallDialog, WaterfallStepContext

from .chat_dialog import ChatDialog
from .commands import Command, recognize_command
from .help_dialog import HelpDialog
from .reset_dialog import ResetDialog
from .settings_dialog import SettingsDialog

NOTHING_TO_CANCEL_TEXT = "There is nothing to cancel. Ask me anything, or send **help** to see what I can do."


class MainDialog(ComponentDialog):
    """Commands (and their natural-language forms, see `commands`) go to their dialogs; every other
    message goes to the chat dialog, which streams the model's answer.

    While a settings or reset dialog is running, its own steps get the messages (help and cancel
    interrupt it: see `CancelAndHelpDialog`); this routing runs again once it has ended.
    """

    def __init__(
        self, chat_dialog: ChatDialog, settings_dialog: SettingsDialog, reset_dialog: ResetDialog
    ) -> None:
        super().__init__(MainDialog.__name__)
        self.add_dialog(chat_dialog)
        self.add_dialog(settings_dialog)
        self.add_dialog(reset_dialog)
        self.add_dialog(HelpDialog())
        self.add_dialog(WaterfallDialog("route", [self._route_step]))
        self.initial_dialog_id = "route"

    async def _route_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        command = recognize_command(step.context.activity.text)
        if command is Command.HELP:
            return await step.begin_dialog(HelpDialog.__name__)
        if command is Command.SETTINGS:
            return await step.begin_dialog(SettingsDialog.__name__)
        if command is Command.RESET:
            return await step.begin_dialog(ResetDialog.__name__)
        if command is Command.CANCEL:
            await step.context.send_activity(MessageFactory.text(NOTHING_TO_CANCEL_TEXT))
            return await step.end_dialog()
        return await step.begin_dialog(ChatDialog.__name__)
