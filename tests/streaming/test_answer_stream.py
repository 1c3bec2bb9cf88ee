"""The answer stream's guarantees: one final answer whatever the feeding code does."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from llm import ModelError
from streaming import AnswerMarks, AnswerStream, Citation, StreamingSettings
from streaming.notes import EMPTY_ANSWER_TEXT, GENERIC_FAILURE_NOTE, INFORMATIVE_TEXT_LIMIT, INTERRUPTED_NOTE
from tests.streaming.scripted_answers import TEAMS, TEAMS_GROUP, answer, deliver, model
from tests.support.clock import ManualClock
from tests.support.memory_channel import MemoryChannel


async def test_an_error_while_feeding_keeps_the_text_and_adds_a_note(
    channel: MemoryChannel, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    async def feed() -> None:
        async with AnswerStream(channel, TEAMS, clock=clock) as stream:
            await clock.sleep(0.5)
            stream.append("Half an ans")
            await clock.sleep(1.0)
            raise RuntimeError("feeding broke")

    await clock.run_until_done(feed())

    assert channel.timeline()[1:] == [
        (1.0, "streaming", "Half an ans"),
        (2.0, "final", f"Half an ans\n\n{GENERIC_FAILURE_NOTE}"),
    ]
    assert "feeding broke" in caplog.text  # logged for the operator, with the error


async def test_a_model_error_note_says_what_failed(channel: MemoryChannel, clock: ManualClock) -> None:
    error = ModelError("the model service could not be reached")
    await answer(channel, clock, 0.5, error, plan=TEAMS_GROUP)

    assert channel.timeline() == [
        (0.0, "typing", None),
        (
            0.5,
            "message",
            "_(The answer ended early: the model service could not be reached. Please try again.)_",
        ),
    ]


async def test_an_empty_answer_still_gets_a_final_message(channel: MemoryChannel, clock: ManualClock) -> None:
    await answer(channel, clock)

    assert channel.bubbles() == [EMPTY_ANSWER_TEXT]


async def test_cancellation_sends_the_final_and_propagates(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    stream = AnswerStream(channel, TEAMS, clock=clock)
    answering = asyncio.ensure_future(deliver(stream, clock, 0.5, "Partial", 60.0, " never"))
    await clock.advance(1.5)
    answering.cancel()

    with pytest.raises(asyncio.CancelledError):
        await clock.run_until_done(answering)
    assert channel.timeline()[-1] == (2.0, "final", f"Partial\n\n{INTERRUPTED_NOTE}")


async def test_a_note_after_unfinished_code_is_not_shown_as_code(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    stream = AnswerStream(channel, TEAMS, clock=clock)
    answering = asyncio.ensure_future(deliver(stream, clock, 0.5, "```python\nprint(1)\n", 60.0))
    await clock.advance(1.5)
    answering.cancel()

    with pytest.raises(asyncio.CancelledError):
        await clock.run_until_done(answering)
    assert channel.bubbles() == [f"```python\nprint(1)\n```\n\n{INTERRUPTED_NOTE}"]


async def test_end_is_idempotent(channel: MemoryChannel, clock: ManualClock) -> None:
    async def feed() -> None:
        async with AnswerStream(channel, TEAMS_GROUP, clock=clock) as stream:
            stream.append("Once.")
            await stream.end()

    await clock.run_until_done(feed())

    assert channel.bubbles() == ["Once."]


async def test_an_answer_complete_before_the_first_send_goes_out_as_one_message(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    async def feed() -> None:
        async with AnswerStream(channel, TEAMS, clock=clock) as stream:
            stream.append("Instant.")

    await clock.run_until_done(feed())

    assert channel.timeline() == [(0.0, "message", "Instant.")]


async def test_typing_shows_until_the_message_is_sent_and_then_stops(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    await answer(channel, clock, 7.0, "Done.", plan=TEAMS_GROUP)
    await clock.advance(10.0)

    assert channel.timeline() == [
        (0.0, "typing", None),
        (3.0, "typing", None),
        (6.0, "typing", None),
        (7.0, "message", "Done."),
    ]
    assert asyncio.all_tasks() == {asyncio.current_task()}, "something of the answer still runs"


async def test_the_informative_text_is_cut_to_the_teams_limit(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    await answer(channel, clock, 0.5, "Hi", informative_text="x" * 5000)

    assert channel.timeline()[0] == (0.0, "informative", "x" * INFORMATIVE_TEXT_LIMIT)


async def test_a_later_informative_line_replaces_thinking_until_the_text_starts(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    async def feed() -> None:
        async with AnswerStream(channel, TEAMS, clock=clock) as stream:
            await clock.sleep(0.5)
            stream.queue_informative("Searching the docs…")
            await clock.sleep(2.0)
            stream.append("Found it.")

    await clock.run_until_done(feed())

    assert channel.timeline() == [
        (0.0, "informative", "Thinking…"),
        (1.0, "informative", "Searching the docs…"),
        (2.5, "final", "Found it."),
    ]


async def test_no_update_goes_out_between_the_models_end_and_the_final_message(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    # An update there would hold the final message back by a whole pacing interval.
    async def feed() -> None:
        async with AnswerStream(channel, TEAMS, clock=clock) as stream:
            await stream.consume(model(clock, 0.5, "All of it."))
            await clock.sleep(0.55)  # Ending a little late: the pace allowed an update at 1.0 s.

    await clock.run_until_done(feed())

    assert channel.timeline() == [(0.0, "informative", "Thinking…"), (1.05, "final", "All of it.")]


async def test_a_caller_that_goes_on_after_the_model_still_shows_the_text(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    async def feed() -> None:
        async with AnswerStream(channel, TEAMS, clock=clock) as stream:
            await stream.consume(model(clock, 0.5, "First part."))
            await clock.sleep(1.0)  # More work follows; the text is not held back meanwhile.
            await stream.consume(model(clock, 0.5, " Second part."))

    await clock.run_until_done(feed())

    assert channel.timeline() == [
        (0.0, "informative", "Thinking…"),
        (1.1, "streaming", "First part."),  # a moment after its slot, in case the answer ends
        (2.1, "final", "First part. Second part."),
    ]


async def test_only_the_last_piece_of_a_long_answer_carries_the_marks(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    marks = AnswerMarks(feedback="default")
    settings = StreamingSettings(max_message_utf16=100)
    await answer(
        channel,
        clock,
        0.5,
        "A sentence of the answer. " * 10,
        plan=TEAMS_GROUP,
        settings=settings,
        marks=marks,
    )

    messages = [item.activity for item in channel.sent if item.activity.kind == "message"]
    assert len(messages) == 3
    assert [message.marks for message in messages] == [None, None, marks]


async def test_the_bots_own_note_carries_no_marks(channel: MemoryChannel, clock: ManualClock) -> None:
    """A model that fails before writing anything: the note is the bot's, not the model's."""
    await answer(channel, clock, 0.5, ModelError("unreachable"), plan=TEAMS_GROUP, marks=AnswerMarks())

    [message] = [item.activity for item in channel.sent if item.activity.kind == "message"]
    assert "unreachable" in (message.text or "") and message.marks is None


async def test_cited_sources_go_with_the_final_and_under_the_text_where_the_client_needs_them(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    web_chat = replace(TEAMS_GROUP, citation_style="link_definitions")
    source = Citation(1, "The source", "What it says.")
    stream = AnswerStream(channel, web_chat, clock=clock)  # no marks asked for: no AI label

    async def feed() -> None:
        async with stream:
            stream.append("Sourced [1].")
            stream.cite([source])

    await clock.run_until_done(feed())

    [message] = [item.activity for item in channel.sent if item.activity.kind == "message"]
    assert message.text == stream.final_text == 'Sourced [1].\n\n[1]: cite:1 "The source"'
    assert message.marks == AnswerMarks(ai_generated=False, citations=(source,))
