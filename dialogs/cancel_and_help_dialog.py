"""The base of every multi-turn dialog: "help" and "cancel" interrupt it at any step.

As in the BotBuilder-Samples' CoreBot: the component dialog looks at each message before its active
step or prompt does. "help" (or a natural-language form, see `commands`) shows the help and asks the
current question again; "cancel" ends the dialog, whatever its step, without saving anything.
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import MessageFactory
from botbuilder.dialogs import ComponentDialog, DialogContext, DialogTurnResult, DialogTurnStatus
from botbuilder.dialogs.prompts import PromptOptions
from botbuilder.schema import ActivityTypes

from .commands import Command, recognize_command
from .help_dialog import send_help

CANCELLED_TEXT = "Okay, cancelled. Nothing was changed. Ask me anything, or send **help**."


def question(text: str, retry: str, **options: Any) -> PromptOptions:
    """A prompt's options: it asks `text`, and `retry` after an answer it cannot take."""
    return PromptOptions(prompt=MessageFactory.text(text), retry_prompt=MessageFactory.text(retry), **options)


class CancelAndHelpDialog(ComponentDialog):
    """A `ComponentDialog` whose steps can be interrupted by help and cancel."""

    async def on_continue_dialog(self, inner_dc: DialogContext) -> DialogTurnResult:
        result = await self._interrupt(inner_dc)
        if result is not None:
            return result
        return await super().on_continue_dialog(inner_dc)

    async def _interrupt(self, inner_dc: DialogContext) -> DialogTurnResult | None:
        activity = inner_dc.context.activity
        if activity.type != ActivityTypes.message:
            return None
        command = recognize_command(activity.text)
        if command is Command.HELP:
            await send_help(inner_dc.context)
            await inner_dc.reprompt_dialog()  # Ask the question we were at again.
            return DialogTurnResult(DialogTurnStatus.Waiting)
        if command is Command.CANCEL:
            await inner_dc.context.send_activity(MessageFactory.text(CANCELLED_TEXT))
            return await inner_dc.cancel_all_dialogs()
        return None
