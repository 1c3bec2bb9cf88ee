"""The pace of a stream, to the exact second on a clock the test moves: when each send goes out.

Teams' pace: one send a second, counted from the end of the previous send; keep-alives every 2 s
of silence; a 429 waits its Retry-After and slows the stream down for a while.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from streaming import AnswerReport, AnswerStream, ConversationScheduler, SendFailure, StopReason
from streaming.answer_stream import AnswerSlot
from streaming.conversation_scheduler import RunAnswer
from streaming.notes import STOP_NOTES
from tests.streaming.scripted_answers import TEAMS, answer, deliver, said, words
from tests.support.clock import ManualClock
from tests.support.memory_channel import MemoryChannel, of_type

THINKING = (0.0, "informative", "Thinking…")


async def test_the_stream_opens_at_once_and_the_final_keeps_the_pace(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    await answer(channel, clock, 0.75, "Hello.")

    assert channel.timeline() == [THINKING, (1.0, "final", "Hello.")]


async def test_the_interval_counts_from_the_end_of_the_previous_send(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    channel.send_duration = 0.25
    await answer(channel, clock, 0.5, "Hello", 0.5, " big", 0.5, " world", 0.5, ".")

    assert channel.timeline() == [
        THINKING,  # ends at 0.25
        (1.25, "streaming", "Hello big"),  # ends at 1.5
        (2.5, "final", "Hello big world."),
    ]


async def test_the_report_says_when_the_user_first_saw_text(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    channel.send_duration = 0.25
    reports: list[AnswerReport] = []
    observer = SimpleNamespace(answer_started=lambda: None, answer_ended=reports.append)
    await answer(channel, clock, 0.5, "Hello", 1.5, " world", observer=observer)

    [report] = reports
    assert (report.time_to_first_token, report.time_to_first_text) == (0.5, 1.5)
    assert (report.updates, report.update_lags) == (2, [0.0])  # the start, then "Hello" as soon as allowed


async def test_text_that_arrives_between_two_sends_goes_out_in_one_update(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    stream = AnswerStream(channel, TEAMS, clock=clock)

    async def feed() -> None:
        async with stream:
            for word in ("One", " two", " three", " four", " five", " six", " seven"):
                await clock.sleep(0.125)
                stream.append(word)
            await clock.sleep(1.0)  # The caller goes on with other work before it ends the answer.

    await clock.run_until_done(feed())

    whole = "One two three four five six seven"
    assert channel.timeline() == [THINKING, (1.0, "streaming", whole), (2.0, "final", whole)]


async def test_a_silent_model_gets_a_keep_alive_every_two_seconds(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    await answer(channel, clock, 0.5, "Hello", 7.0, " world")

    assert channel.timeline() == [
        THINKING,
        (1.0, "streaming", "Hello"),
        (3.0, "streaming", "Hello"),
        (5.0, "streaming", "Hello"),
        (7.0, "streaming", "Hello"),
        (8.0, "final", "Hello world"),
    ]


async def test_a_429_waits_its_retry_after_then_the_slower_pace_recovers(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    channel.refuse(of_type("streaming"), SendFailure.RATE_LIMITED, 429, retry_after=3.0)
    await answer(channel, clock, *words(20))

    # Retry-After 3 s; the interval doubles to 2 s, then each send narrows it by a fifth: 1.6,
    # 1.28, 1.024, then the channel's 1 s again.
    assert [at for at, _, _ in channel.timeline()] == pytest.approx(
        [0.0, 1.0, 4.0, 6.0, 7.6, 8.88, 9.904, 10.904]
    )
    assert [label for _, label, _ in channel.timeline()] == [
        "informative",
        "streaming refused: rate_limited",
        *["streaming"] * 5,
        "final",
    ]


@pytest.mark.usefixtures("longest_backoff")
async def test_failing_updates_back_off_then_the_final_carries_the_text(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    channel.refuse(of_type("streaming"), SendFailure.TRANSIENT, 503, times=4)
    await answer(channel, clock, *words(14))

    # Backoffs of 0.5 s, 1 s and 2 s, at least the interval; a fourth failure in a row ends the updates.
    assert [(at, label) for at, label, _ in channel.timeline()] == [
        (0.0, "informative"),
        (1.0, "streaming refused: transient"),
        (2.0, "streaming refused: transient"),
        (3.0, "streaming refused: transient"),
        (5.0, "streaming refused: transient"),
        (7.0, "final"),
    ]
    assert channel.bubbles() == [said(14)]


@pytest.mark.usefixtures("longest_backoff")
async def test_a_stream_that_cannot_open_falls_back_to_typing_and_one_message(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    stream_sends = lambda sent: sent.stream is not None  # noqa: E731
    channel.refuse(stream_sends, SendFailure.TRANSIENT, 503, times=4)
    await answer(channel, clock, *words(13))

    assert [(at, label) for at, label, _ in channel.timeline()] == [
        (0.0, "informative refused: transient"),
        (1.0, "streaming refused: transient"),
        (2.0, "streaming refused: transient"),
        (4.0, "streaming refused: transient"),
        (4.0, "typing"),
        (6.5, "message"),
    ]
    assert channel.bubbles() == [said(13)]


async def test_the_next_answer_in_a_conversation_keeps_the_pace_after_the_previous_final(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    scheduler = ConversationScheduler()

    def answering(*steps: float | str) -> RunAnswer:
        async def run(slot: AnswerSlot) -> None:
            await deliver(AnswerStream(channel, TEAMS, clock=clock, slot=slot), clock, *steps)

        return run

    async def conversation() -> None:
        async with scheduler.inbound_turn("chat"):
            scheduler.start("chat", "user", answering(*words(20)))
        await clock.sleep(2.25)
        async with scheduler.inbound_turn("chat"):  # A new message interrupts the first answer.
            scheduler.start("chat", "user", answering(1.5, "Second."))
        await scheduler.wait_idle()

    await clock.run_until_done(conversation())

    assert channel.timeline() == [
        THINKING,
        (1.0, "streaming", " w0 w1"),
        (2.0, "streaming", " w0 w1 w2 w3"),
        (3.0, "final", f" w0 w1 w2 w3\n\n{STOP_NOTES[StopReason.NEW_MESSAGE]}"),
        (4.0, "informative", "Thinking…"),  # the second answer starts at 3.0, the pace allows 4.0
        (5.0, "final", "Second."),
    ]
