"""The port between the streaming engine and a channel: what it sends, and what it needs to know.

The engine imports no Bot Framework SDK. A binding per SDK (`bots/channel_binding.py` for
botbuilder, `agents_host/channel.py` for the Microsoft 365 Agents SDK) turns an `Outgoing` into
that SDK's activity, sends it through the turn's context, and turns its errors into `SendError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from .answer_marks import AnswerMarks, CitationStyle

StreamType = Literal["informative", "streaming", "final"]


@dataclass(frozen=True)
class StreamInfo:
    """The stream fields of one send: no id on a stream's first send, no sequence on its final."""

    stream_type: StreamType
    stream_id: str | None
    sequence: int | None


@dataclass(frozen=True)
class Outgoing:
    """One activity the engine sends: a typing activity or a Markdown message, maybe part of a stream.

    `marks` are on the last message of a model answer only (see `answer_marks`).
    """

    kind: Literal["message", "typing"]
    text: str | None = None
    stream: StreamInfo | None = None
    marks: AnswerMarks | None = None


class ChannelPort(Protocol):
    """Sends activities to the conversation an answer belongs to."""

    async def send(self, activity: Outgoing) -> str | None:
        """The id the channel gave `activity` (a stream's id on its first send), or None.

        Raises `streaming.send_errors.SendError` when the channel refuses it or cannot be reached.
        """
        ...


@dataclass(frozen=True)
class ConversationFacts:
    """What decides how an answer is delivered in a conversation."""

    channel_id: str
    conversation_type: str | None
    """Teams: "personal", "groupChat" or "channel"; None on channels that do not say."""
    expect_replies: bool
    """The request's replies go back in its HTTP response (`deliveryMode: expectReplies`)."""
    group: bool = False
    """More people than the user and the bot take part (a Teams group chat or channel)."""
    citation_style: CitationStyle = "source_list"
    """How the channel's client shows citations (`answer_marks.citation_style` of its id)."""
