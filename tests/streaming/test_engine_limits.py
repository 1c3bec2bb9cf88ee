"""The channel's limits, to the exact second: a stream's time and size, the final message's
retries, and the user's Stop."""

from __future__ import annotations

from dataclasses import replace

import pytest

from streaming import AnswerOutcome, SendFailure
from streaming.markdown import utf16_length
from tests.streaming.scripted_answers import SETTINGS, answer, said, words
from tests.support.clock import ManualClock
from tests.support.memory_channel import MemoryChannel, of_type


async def test_a_stream_near_its_time_budget_is_finished_and_the_answer_goes_on_in_a_new_one(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    await answer(channel, clock, *words(12), settings=replace(SETTINGS, max_stream_seconds=4.0))

    # The last send slot before 4 s is at 3 s: the stream's final goes then, within its time.
    assert channel.timeline() == [
        (0.0, "informative", "Thinking…"),
        (1.0, "streaming", " w0 w1"),
        (2.0, "streaming", " w0 w1 w2 w3"),
        (3.0, "final", " w0 w1 w2 w3 w4 w5"),
        (4.0, "streaming", " w6"),
        (5.0, "streaming", " w6 w7 w8"),
        (6.0, "streaming", " w6 w7 w8 w9 w10"),
        (7.0, "final", " w6 w7 w8 w9 w10 w11"),
    ]


async def test_a_stream_the_channel_ends_for_time_goes_on_in_a_new_one(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    channel.refuse(of_type("streaming", from_sequence=4), SendFailure.STREAM_TIME_LIMIT, 403)
    await answer(channel, clock, *words(8))

    assert channel.timeline()[2:] == [
        (2.0, "streaming", " w0 w1 w2 w3"),
        (3.0, "streaming refused: stream_time_limit", " w0 w1 w2 w3 w4 w5"),
        (4.0, "streaming", " w4 w5 w6"),  # what the first stream did not show, in a new one
        (5.0, "final", " w4 w5 w6 w7"),
    ]
    assert channel.bubbles() == [said(4), " w4 w5 w6 w7"]


async def test_a_stream_over_its_size_budget_is_split_between_words(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    await answer(channel, clock, *words(12), settings=replace(SETTINGS, max_message_utf16=20))

    assert channel.timeline() == [
        (0.0, "informative", "Thinking…"),
        (1.0, "streaming", " w0 w1"),
        (2.0, "streaming", " w0 w1 w2 w3"),
        (3.0, "streaming", " w0 w1 w2 w3 w4 w5"),
        (4.0, "final", " w0 w1 w2 w3 w4 w5 "),  # " w6 w7" would not fit
        (5.0, "streaming", "w6 w7 w8"),
        (6.0, "streaming", "w6 w7 w8 w9 w10"),
        (7.0, "final", "w6 w7 w8 w9 w10 w11"),
    ]
    assert all(utf16_length(text or "") <= 20 for _, _, text in channel.timeline())


@pytest.mark.usefixtures("longest_backoff")
async def test_a_final_is_retried_until_the_delivery_deadline_then_sent_as_a_message(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    channel.refuse(of_type("final"), SendFailure.TRANSIENT, 503, times=100)
    await answer(channel, clock, *words(3))

    # Backoffs of 0.25, 0.5, 1, 2 and 4 s; the next, 8 s, would end after the deadline (2 + 15 s).
    assert [(at, label) for at, label, _ in channel.timeline()[2:]] == [
        (2.0, "final refused: transient"),
        (2.25, "final refused: transient"),
        (2.75, "final refused: transient"),
        (3.75, "final refused: transient"),
        (5.75, "final refused: transient"),
        (9.75, "final refused: transient"),
        (9.75, "message"),
    ]
    assert channel.bubbles() == [" w0 w1", said(3)]  # the stream as far as it got, then the answer


async def test_a_rate_limited_final_waits_its_retry_after(channel: MemoryChannel, clock: ManualClock) -> None:
    channel.refuse(of_type("final"), SendFailure.RATE_LIMITED, 429, retry_after=4.0, times=2)
    await answer(channel, clock, *words(3))

    assert [(at, label) for at, label, _ in channel.timeline()[2:]] == [
        (2.0, "final refused: rate_limited"),
        (6.0, "final refused: rate_limited"),
        (10.0, "final"),
    ]
    assert channel.bubbles() == [said(3)]


async def test_stop_ends_the_answer_without_a_final(channel: MemoryChannel, clock: ManualClock) -> None:
    channel.refuse(of_type("streaming", from_sequence=3), SendFailure.STOPPED_BY_USER, 403, times=100)
    stream = await answer(channel, clock, *words(20))
    await clock.advance(10.0)

    assert channel.timeline() == [
        (0.0, "informative", "Thinking…"),
        (1.0, "streaming", " w0 w1"),
        (2.0, "streaming refused: stopped_by_user", " w0 w1 w2 w3"),
    ]
    assert stream.outcome is AnswerOutcome.STOPPED
    assert stream.final_text == " w0 w1"  # what the user saw, for the history
    assert stream.text == said(4)  # the model was stopped


async def test_stop_before_the_final_leaves_the_answer_as_far_as_the_stream_showed_it(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    # Teams refuses the stream's next send once the user pressed Stop: here, its final.
    channel.refuse(of_type("final"), SendFailure.STOPPED_BY_USER, 403)
    stream = await answer(channel, clock, *words(3))

    assert channel.timeline()[1:] == [
        (1.0, "streaming", " w0 w1"),
        (2.0, "final refused: stopped_by_user", " w0 w1 w2"),
    ]
    assert stream.outcome is AnswerOutcome.STOPPED
    assert stream.final_text == " w0 w1"  # the history keeps what the user saw, not " w2"
