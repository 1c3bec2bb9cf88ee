"""Group conversations (Teams group chats and channels) in the chat answer: whose message is whose.

In a group the history holds several people's messages, so each user message is kept and sent to
the model as "Name: text" (and `answers.ChatAnswer` tells the model so). Personal chats are
unchanged. SDK-free: both hosts shape group questions this way.
"""

from __future__ import annotations

from channels.conversations import ConversationActivity, is_group_conversation, speaker_name


def attributed(activity: ConversationActivity, text: str) -> str:
    """`text` as the history keeps it: prefixed with the sender's name in a group conversation."""
    return f"{speaker_name(activity)}: {text}" if is_group_conversation(activity) else text
