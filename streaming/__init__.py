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
from .delivery import DeliveryPlan, StreamingSettings, pacer_for, plan_delivery
from .early_sign import ShownSign, show_first_sign
from .notes import DEFAULT_INFORMATIVE_TEXT
from .outcome import AnswerObserver, AnswerObservers, AnswerOutcome, AnswerReport, StopReason
from .send_errors import SendError, SendFailure
from .sign_priority import SignPriority

__all__ = [
    "DEFAULT_INFORMATIVE_TEXT",
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
    "ShownSign",
    "SignPriority",
    "StopReason",
    "StreamInfo",
    "StreamingSettings",
    "citation_style",
    "pacer_for",
    "plan_delivery",
    "show_first_sign",
]
