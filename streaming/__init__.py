"""The streaming engine: how an answer reaches the user on each channel."""

from .answer_stream import AnswerOutcome, AnswerStream, StopReason
from .conversation_answers import ConversationAnswers, ConversationOrderMiddleware
from .delivery import DeliveryPlan, StreamingSettings, plan_delivery
from .entities import StreamInfoEntity, stamp_stream_info

__all__ = [
    "AnswerOutcome",
    "AnswerStream",
    "ConversationAnswers",
    "ConversationOrderMiddleware",
    "DeliveryPlan",
    "StopReason",
    "StreamInfoEntity",
    "StreamingSettings",
    "plan_delivery",
    "stamp_stream_info",
]
