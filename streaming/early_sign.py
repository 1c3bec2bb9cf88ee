"""The answer's first sign, shown from the user's own turn as soon as it knows the model will answer.

"Thinking…" (typing where the channel does not stream) used to wait for the end of the user's turn
(its state saved) and for the answer's own turn; under load those queue behind every other
conversation. The dialog that commits to a model answer shows the sign at once instead, and the
answer's stream takes over what it opened (`AnswerStream` reads it from its slot): the same stream,
the same pace, nothing shown twice. A refusal that holds for the whole answer (streaming
not allowed, no stream id) is passed on, so the answer comes as a message without asking again;
what may pass on a retry (a 429, a transient failure) is left to the answer, which shows its first
sign as it always did.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .channel import ChannelPort, Outgoing, StreamInfo
from .clock import Clock
from .delivery import DeliveryPlan
from .notes import INFORMATIVE_TEXT_LIMIT
from .pacing import Pacer
from .send_errors import RETRYABLE, SendError, SendFailure

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShownSign:
    """What the first sign came to: the stream its informative update opened, typing, or a refusal."""

    stream_id: str | None
    """The open stream's id; None when typing was shown instead, or streaming was refused."""
    sent_at: float
    refused: str | None = None
    """Why the channel will not take this answer as a stream: it comes as a message."""


async def show_first_sign(
    port: ChannelPort, plan: DeliveryPlan, pacer: Pacer, clock: Clock, text: str
) -> ShownSign | None:
    """Send the informative `text` (a streaming plan) or typing now; None when nothing was shown.

    A stream's first send keeps to the conversation's `pacer` (the previous answer's final may have
    just gone out): if it may not go now, the answer sends it when it may.
    """
    if not (plan.stream or plan.typing) or (plan.stream and pacer.next_send_at > clock.now()):
        return None
    if plan.stream:
        outgoing = Outgoing("typing", text[:INFORMATIVE_TEXT_LIMIT], StreamInfo("informative", None, 1))
    else:
        outgoing = Outgoing("typing")
    try:
        reply_id = await port.send(outgoing)
    except SendError as error:
        now = clock.now()
        if error.failure is SendFailure.RATE_LIMITED:
            pacer.rate_limited(now, error.retry_after)
        if not plan.stream or error.failure in RETRYABLE:
            logger.info("the first sign failed (%s); the answer shows it itself", error)
            return None
        pacer.sent(now)  # A refused request still counts against the channel's rate.
        return ShownSign(None, now, refused=str(error))
    now = clock.now()
    if not plan.stream:
        return ShownSign(None, now)
    pacer.sent(now)
    return (
        ShownSign(reply_id, now)
        if reply_id
        else ShownSign(None, now, refused="the channel gave the stream no id")
    )
