"""The streaming engine: how an answer reaches the user on each channel."""

from .answer_stream import AnswerStream
from .delivery import DeliveryPlan, StreamingSettings, plan_delivery
from .entities import StreamInfoEntity, stamp_stream_info

__all__ = [
    "AnswerStream",
    "DeliveryPlan",
    "StreamInfoEntity",
    "StreamingSettings",
    "plan_delivery",
    "stamp_stream_info",
]
