"""help: what the bot can do and its commands. Also shown in the middle of any other dialog."""

from __future__ import annotations

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult

HELP_TEXT = (
    "Here is what I can do:\n\n"
    "- **Answer your questions** with a language model; you can watch each answer being written, "
    "and I remember our conversation, so you can ask follow-up questions.\n"
    "- **settings**: choose how I answer: the style, your own instructions, and how creative I am.\n"
    "- **reset**: forget our conversation and start over (I ask first).\n"
    "- **cancel**: stop what we are doing, such as changing settings.\n"
    "- **help**: show this message, at any time.\n\n"
    "In group chats and channels, @mention me in your message so that I know it is for me."
)


async def send_help(context: TurnContext) -> None:
    await context.send_activity(MessageFactory.text(HELP_TEXT))


class HelpDialog(Dialog):
    """Shows the help and ends; `CancelAndHelpDialog` shows the same text mid-dialog."""

    def __init__(self) -> None:
        super().__init__(HelpDialog.__name__)

    async def begin_dialog(self, dialog_context: DialogContext, options: object = None) -> DialogTurnResult:
        await send_help(dialog_context.context)
        return await dialog_context.end_dialog()
