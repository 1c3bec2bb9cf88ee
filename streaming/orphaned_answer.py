"""The last message of an answer whose instance stopped mid-answer, sent by another instance.

The answer's progress log says what the user saw: the open stream gets its final message with that
text and a note that the bot restarted (or, with no stream open, a message with the note), retried
as any final is. The model's words after the last update are gone with the instance that read them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .answer_marks import AnswerMarks
from .answer_text import AnswerText
from .channel import ChannelPort
from .channel_stream import ChannelStream, DeliveryTally
from .clock import Clock, LoopClock
from .delivery import DeliveryPlan, StreamingSettings
from .final_delivery import FinalDelivery
from .leases import AnswerProgress
from .notes import RESTARTED_NOTE, with_note
from .outcome import AnswerObserver, AnswerOutcome, AnswerReport
from .pacing import Pacer


@dataclass(frozen=True)
class FinishedOrphan:
    """What finishing an orphaned answer came to."""

    answer: str
    """The answer as the user ended up with it: what the history keeps."""
    pace_until: float
    """When the conversation's next stream send may go out (the clock's time)."""


async def finish_orphaned_answer(
    port: ChannelPort,
    plan: DeliveryPlan,
    settings: StreamingSettings,
    progress: AnswerProgress,
    *,
    marks: AnswerMarks | None,
    observer: AnswerObserver | None = None,
    clock: Clock | None = None,
) -> FinishedOrphan:
    """Send the answer's last message through `port`: what the user saw, and `RESTARTED_NOTE`.

    `marks` (the AI label, feedback) go on it if the model had written any of the text. Reports to
    `observer` as an answer that ended `recovered`. Raises `SendError` if the channel refuses it.
    """
    clock = clock or LoopClock()
    text = AnswerText()  # The open stream's text, as sent: the piece is all this answer has left.
    text.text = progress.shown
    text.shown_end = len(progress.shown)
    stream = ChannelStream(port, clock, streaming=progress.stream_id is not None)
    stream.stream_id = progress.stream_id
    stream.sequence = progress.sequence
    pacer = Pacer(plan.interval, max(plan.interval, settings.max_interval))
    tally = DeliveryTally()
    user_stopped = False

    def stopped() -> None:
        nonlocal user_stopped
        user_stopped = True  # The user had pressed Stop: the channel takes nothing more.

    final = FinalDelivery(
        text,
        stream,
        pacer,
        clock,
        settings,
        tally,
        on_user_stopped=stopped,
        user_stopped=lambda: user_stopped,
    )
    started_at = clock.now()
    if observer is not None:
        observer.answer_started()
    try:
        await final.deliver_rest(RESTARTED_NOTE, marks if progress.seen else None)
    finally:
        if observer is not None:
            observer.answer_ended(
                AnswerReport(
                    outcome=AnswerOutcome.RECOVERED,
                    delivery=plan.reason,
                    characters=len(progress.seen),
                    started_at=started_at,
                    first_token_at=None,
                    first_text_at=None,
                    updates=0,
                    rate_limited=tally.rate_limited,
                    retries=tally.retries,
                    update_lags=[],
                    failure=None,
                )
            )
    answer = progress.seen if user_stopped else with_note(progress.seen, RESTARTED_NOTE)
    return FinishedOrphan(answer, pacer.next_send_at)
