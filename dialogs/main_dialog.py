"""The root dialog: routes each message to the dialog that handles it."""

from __future__ import annotations

from botbuilder.dialogs import ComponentDialog, DialogTurnResult, WaterfallDialog, WaterfallStepContext

from .chat_dialog import ChatDialog


class MainDialog(ComponentDialog):
    """Sends every message to the chat dialog; commands will route to their own dialogs here."""

    def __init__(self, chat_dialog: ChatDialog) -> None:
        super().__init__(MainDialog.__name__)
        self.add_dialog(chat_dialog)
        self.add_dialog(WaterfallDialog("route", [self._route_step]))
        self.initial_dialog_id = "route"

    async def _route_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        return await step.begin_dialog(ChatDialog.__name__)
