"""Group conversations (Teams group chats and channels) in the chat answer: whose message is whose.

In a group the history holds several people's messages, so each user message is kept and sent to
the model as "Name: text" (and `answers.ChatAnswer` tells the model so). Personal chats are
unchanged. SDK-free: both hosts shape group questions this way.
"""

from __future__ import annotations

from typing import Protocol

from channels.conversations import ConversationActivity, is_group_conversation, speaker_name


class QuestionActivity(ConversationActivity, Protocol):
    """A user's message (of either SDK), as far as its question is concerned."""

    @property
    def text(self) -> str | None: ...


def attributed(activity: ConversationActivity, text: str) -> str:
    """`text` as the history keeps it: prefixed with the sender's name in a group conversation."""
    return f"{speaker_name(activity)}: {text}" if is_group_conversation(activity) else text


def question_of(activity: QuestionActivity) -> str:
    """The question `activity` asks, as the history keeps it (and the model reads it)."""
    return attributed(activity, (activity.text or "").strip())
