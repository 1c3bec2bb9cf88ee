"""Decides, per answer, how it reaches the user: streamed, or as one message."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .answer_marks import CitationStyle
from .channel import ConversationFacts
from .pacing import Pacer

TEAMS = "msteams"
WEB_CHAT_CHANNELS = frozenset({"webchat", "directline"})


@dataclass(frozen=True)
class StreamingSettings:
    """Channel pace and the budgets that keep an answer inside every channel limit (seconds)."""

    teams_interval: float = 1.0
    webchat_interval: float = 0.5
    typing_interval: float = 3.0
    max_interval: float = 5.0  # the slowest pace 429s may push a stream to
    keepalive_interval: float = 2.0  # the longest quiet spell on a stream while the model is silent
    max_message_utf16: int = 12_000  # the longest text of one message or stream
    max_stream_seconds: float = 100.0  # Teams ends a stream after 120 s
    max_update_failures: int = 3  # transient failures in a row before the answer falls back to a message
    delivery_deadline: float = 15.0  # how long a final message is retried
    model_idle_timeout: float = 45.0  # the answer ends if the model sends nothing for this long


@dataclass(frozen=True)
class DeliveryPlan:
    """How one answer is delivered.

    With `stream`, updates go out at most every `interval` seconds (counted from the end of the
    previous send). Without it, typing is shown every `typing_interval` seconds while the answer is
    produced (unless `typing` is off), then the answer is sent as a message. `citation_style` is
    how the final message shows the answer's citations.
    """

    stream: bool
    interval: float
    typing: bool
    typing_interval: float
    reason: str
    citation_style: CitationStyle = "source_list"


def plan_delivery(facts: ConversationFacts, settings: StreamingSettings) -> DeliveryPlan:
    """The plan for answering in a conversation, from its channel, type and delivery mode."""
    return replace(_plan(facts, settings), citation_style=facts.citation_style)


def _plan(facts: ConversationFacts, settings: StreamingSettings) -> DeliveryPlan:
    """Streamed or not, and at what pace."""
    typing = settings.typing_interval
    if facts.expect_replies:
        # Replies are buffered into the HTTP response: no ids to stream with, no one to see typing.
        return DeliveryPlan(False, 0.0, False, typing, "expectReplies turn")
    if facts.channel_id == TEAMS:
        if facts.conversation_type == "personal":
            return DeliveryPlan(True, settings.teams_interval, True, typing, "Teams personal chat")
        # Teams refuses stream sends outside 1:1 chats.
        return DeliveryPlan(False, settings.teams_interval, True, typing, f"Teams {facts.conversation_type}")
    if facts.channel_id in WEB_CHAT_CHANNELS:
        return DeliveryPlan(True, settings.webchat_interval, True, typing, "Web Chat / Direct Line")
    # The Emulator's Web Chat drops typing text; other channels do not know the protocol.
    reason = f"{facts.channel_id!r} does not stream"
    return DeliveryPlan(False, settings.webchat_interval, True, typing, reason)


def pacer_for(plan: DeliveryPlan, settings: StreamingSettings) -> Pacer:
    """A new pacer for a stream on `plan`: the channel's interval, slowed by 429s to `max_interval`."""
    return Pacer(plan.interval, max(plan.interval, settings.max_interval))
