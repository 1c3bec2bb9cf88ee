"""The streaming engine: how an answer reaches the user on each channel. It imports no Bot Framework
SDK: a host gives it a `ChannelPort` (see `channel.py`) and, optionally, a `Clock`."""

from .answer_marks import (
    AnswerMarks,
    Citation,
    CitationStyle,
    FeedbackLoop,
    SensitivityLabel,
    citation_style,
)
from .answer_stream import AnswerSlot, AnswerStream
from .channel import ChannelPort, ConversationFacts, Outgoing, StreamInfo
from .clock import Clock, LoopClock
from .content_filter import AnswerFilter
from .conversation_scheduler import ConversationScheduler
from .delivery import DeliveryPlan, StreamingSettings, plan_delivery
from .outcome import AnswerObserver, AnswerObservers, AnswerOutcome, AnswerReport, StopReason
from .send_errors import SendError, SendFailure

__all__ = [
    "AnswerFilter",
    "AnswerMarks",
    "AnswerObserver",
    "AnswerObservers",
    "AnswerOutcome",
    "AnswerReport",
    "AnswerSlot",
    "AnswerStream",
    "ChannelPort",
    "Citation",
    "CitationStyle",
    "Clock",
    "ConversationFacts",
    "ConversationScheduler",
    "DeliveryPlan",
    "FeedbackLoop",
    "LoopClock",
    "Outgoing",
    "SendError",
    "SendFailure",
    "SensitivityLabel",
    "StopReason",
    "StreamInfo",
    "StreamingSettings",
    "citation_style",
    "plan_delivery",
]
