"""What the model's side does to a stream, to the exact second: silence, reasoning, interruptions,
and text the content filter blocks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from llm import ModelSignal
from streaming import AnswerOutcome, AnswerStream, StopReason
from streaming.notes import REASONING_TEXT, STOP_NOTES, WITHHELD_NOTE
from tests.streaming.scripted_answers import TEAMS, answer, deliver, said, words
from tests.support.clock import ManualClock
from tests.support.memory_channel import MemoryChannel

SILENT_NOTE = STOP_NOTES[StopReason.MODEL_SILENT]


async def test_a_silent_model_ends_the_answer_after_the_idle_timeout_with_a_note(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    stream = AnswerStream(channel, TEAMS, clock=clock)
    answering = asyncio.ensure_future(deliver(stream, clock, 0.5, "Hello", 60.0, " too late"))

    await clock.advance_to(45.499)
    assert stream.outcome is AnswerOutcome.COMPLETE  # still answering
    await clock.advance_to(45.5)  # 45 s since the model's last word
    assert stream.outcome is AnswerOutcome.FAILED
    await clock.run_until_done(answering)

    assert channel.timeline()[-1] == (46.0, "final", f"Hello\n\n{SILENT_NOTE}")  # the next send slot
    assert stream.text == "Hello"


@pytest.mark.parametrize("signal", [ModelSignal.ALIVE, ModelSignal.REASONING])
async def test_a_sign_of_life_starts_the_idle_timeout_again(
    channel: MemoryChannel, clock: ManualClock, signal: ModelSignal
) -> None:
    stream = AnswerStream(channel, TEAMS, clock=clock)
    answering = asyncio.ensure_future(deliver(stream, clock, 0.5, "Hello", 40.0, signal, 60.0, " too late"))

    await clock.advance_to(85.499)
    assert stream.outcome is AnswerOutcome.COMPLETE
    await clock.advance_to(85.5)  # 45 s since the sign of life
    assert stream.outcome is AnswerOutcome.FAILED
    await clock.run_until_done(answering)

    assert channel.bubbles() == [f"Hello\n\n{SILENT_NOTE}"]


async def test_a_reasoning_model_shows_reasoning_and_then_for_how_long_on_keep_alives(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    reasoning = [0.25, ModelSignal.REASONING, *[0.5, ModelSignal.REASONING] * 9]
    await answer(channel, clock, *reasoning, 0.75, "The answer.")

    # Signs of reasoning from 0.25 s on, every half second until 4.75 s; the text comes at 5.5 s.
    assert channel.timeline() == [
        (0.0, "informative", "Thinking…"),
        (1.0, "informative", REASONING_TEXT),
        (3.0, "informative", f"{REASONING_TEXT} (2 s)"),  # as of the last sign, at 2.75 s
        (5.0, "informative", f"{REASONING_TEXT} (4 s)"),
        (6.0, "final", "The answer."),
    ]


@pytest.mark.parametrize(
    ("reason", "outcome"),
    [
        (StopReason.STOP_COMMAND, AnswerOutcome.STOPPED),
        (StopReason.NEW_MESSAGE, AnswerOutcome.INTERRUPTED),
        (StopReason.SHUTDOWN, AnswerOutcome.INTERRUPTED),
    ],
)
async def test_an_interruption_stops_the_model_and_the_final_says_why(
    channel: MemoryChannel, clock: ManualClock, reason: StopReason, outcome: AnswerOutcome
) -> None:
    stream = AnswerStream(channel, TEAMS, clock=clock)
    answering = asyncio.ensure_future(deliver(stream, clock, *words(20)))
    await clock.advance_to(2.25)
    stream.interrupt(reason)
    await clock.run_until_done(answering)

    assert channel.timeline()[-1] == (3.0, "final", f"{said(4)}\n\n{STOP_NOTES[reason]}")
    assert stream.text == said(4)  # nothing read from the model after 2.25 s
    assert stream.outcome is outcome


class BlockedWord:
    """A content filter that blocks one word, and flags whole answers that contain another."""

    def __init__(self, blocked: str, flagged: str = "\0") -> None:
        self._blocked, self._flagged = blocked, flagged

    def first_blocked(self, text: str) -> int | None:
        found = text.find(self._blocked)
        return None if found < 0 else found

    async def answer_flagged(self, text: str) -> bool:
        return self._flagged in text


async def test_the_content_filter_cuts_the_answer_before_a_blocked_word(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    stream = await answer(
        channel,
        clock,
        *(0.5, "The code is", 1.0, " sec", 0.25, "ret: 42", 0.5, " and more"),
        answer_filter=BlockedWord("secret"),
    )

    assert channel.timeline() == [
        (0.0, "informative", "Thinking…"),
        (1.0, "streaming", "The code is"),
        (2.0, "final", f"The code is\n\n{WITHHELD_NOTE}"),  # " sec" arrived before 2.0 s, not shown
    ]
    assert stream.text == "The code is"  # the model was stopped
    assert stream.outcome is AnswerOutcome.FAILED


async def test_an_answer_flagged_at_its_end_keeps_only_what_was_shown(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    await answer(
        channel, clock, 0.5, "Fine so far.", 1.0, " Then worse.", answer_filter=BlockedWord("\0", "worse")
    )

    assert channel.timeline() == [
        (0.0, "informative", "Thinking…"),
        (1.0, "streaming", "Fine so far."),
        (2.0, "final", f"Fine so far.\n\n{WITHHELD_NOTE}"),
    ]


async def read_in_batches(
    channel: MemoryChannel, clock: ManualClock, items: list[str | ModelSignal]
) -> list[float]:
    """Answer on Teams from a batched model stream whose `items` reach the bot every 1/8 s from
    1/16 s on, whether read or not; when each item was read."""
    arrived: asyncio.Queue[str | ModelSignal | None] = asyncio.Queue()
    read_at: list[float] = []

    async def network() -> None:
        for number, item in enumerate(items):
            await clock.sleep(0.0625 if number == 0 else 0.125)
            arrived.put_nowait(item)
        arrived.put_nowait(None)

    async def received() -> AsyncIterator[str | ModelSignal]:
        while (item := await arrived.get()) is not None:
            read_at.append(clock.now())
            yield item

    async def feed() -> None:
        async with AnswerStream(channel, TEAMS, clock=clock) as stream:
            await stream.consume(received(), batched=True)

    await asyncio.gather(network(), clock.run_until_done(feed()))
    return read_at


async def test_a_batched_model_stream_is_read_just_before_each_update(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    read_at = await read_in_batches(channel, clock, [f" w{number}" for number in range(20)])

    # After one word, nothing is read until 10 ms before the next update; then all that arrived.
    assert sorted(set(read_at)) == [0.0625, 0.99, 1.0625, 1.99, 2.0625, 2.99]
    assert channel.timeline() == [
        (0.0, "informative", "Thinking…"),
        (1.0, "streaming", said(8)),
        (2.0, "streaming", said(16)),
        (3.0, "final", said(20)),
    ]


async def test_a_batched_model_stream_is_read_as_it_comes_until_text_comes(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    # Signs of life (a tool round's call pieces, reasoning) wait for no update: a round's calls are
    # complete, and its tools start, as soon as they arrive, not at the next send slot.
    read_at = await read_in_batches(channel, clock, [ModelSignal.ALIVE] * 4 + [" w0", " w1"])

    # Each sign of life and the first word are read as they arrive; after that word, the second
    # waits until just before the next update.
    assert read_at == [0.0625, 0.1875, 0.3125, 0.4375, 0.5625, 0.99]
    assert channel.timeline() == [
        (0.0, "informative", "Thinking…"),
        (1.0, "final", " w0 w1"),
    ]
