"""Group conversations (Teams group chats and channels) in the dialogs: whose message is whose.

In a group the history holds several people's messages, so each user message is kept and sent to
the model as "Name: text", and the system prompt says so. Personal chats are unchanged.
"""

from __future__ import annotations

from botbuilder.dialogs.choices import ListStyle
from botbuilder.schema import Activity

from channels import is_group_conversation, speaker_name

GROUP_SYSTEM_NOTE = (
    "This is a group conversation with several people. Each user message starts with the name of "
    "the person who wrote it, then a colon; address people by name when it helps."
)


def choice_style(activity: Activity) -> ListStyle | None:
    """How a prompt lists its choices: in the text in a group, where a button's message would carry
    no @mention and so be ignored; else the prompt's default for the channel (None)."""
    return ListStyle.in_line if is_group_conversation(activity) else None


def attributed(activity: Activity, text: str) -> str:
    """`text` as the history keeps it: prefixed with the sender's name in a group conversation."""
    return f"{speaker_name(activity)}: {text}" if is_group_conversation(activity) else text
