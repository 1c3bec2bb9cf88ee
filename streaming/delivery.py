"""Decides, per turn, how an answer reaches the user: streamed, or as one message."""

from __future__ import annotations

from dataclasses import dataclass

from botbuilder.schema import Activity, DeliveryModes
from botframework.connector import Channels


@dataclass(frozen=True)
class StreamingSettings:
    """The pace of each channel family, in seconds."""

    teams_interval: float = 1.0
    webchat_interval: float = 0.5
    typing_interval: float = 3.0


@dataclass(frozen=True)
class DeliveryPlan:
    """How one answer is delivered.

    With `stream`, updates go out at most every `interval` seconds (counted from the end of the
    previous send). Without it, typing is shown every `typing_interval` seconds while the answer is
    produced (unless `typing` is off), then the answer is sent as one message.
    """

    stream: bool
    interval: float
    typing: bool
    reason: str


def plan_delivery(activity: Activity, settings: StreamingSettings) -> DeliveryPlan:
    """The plan for answering `activity`, from its channel, conversation and delivery mode."""
    if activity.delivery_mode == DeliveryModes.expect_replies:
        # Replies are buffered into the HTTP response: no ids to stream with, no one to see typing.
        return DeliveryPlan(False, 0.0, False, "expectReplies turn")
    channel = activity.channel_id
    if channel == Channels.ms_teams:
        conversation_type = activity.conversation.conversation_type if activity.conversation else None
        if conversation_type == "personal":
            return DeliveryPlan(True, settings.teams_interval, True, "Teams personal chat")
        # Teams refuses stream sends outside 1:1 chats.
        return DeliveryPlan(False, settings.typing_interval, True, f"Teams {conversation_type} conversation")
    if channel in (Channels.webchat, Channels.direct_line):
        return DeliveryPlan(True, settings.webchat_interval, True, "Web Chat / Direct Line")
    # The Emulator's Web Chat drops typing text; other channels do not know the protocol.
    return DeliveryPlan(False, settings.typing_interval, True, f"channel {channel!r} does not stream")
