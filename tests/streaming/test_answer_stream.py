"""The answer stream's guarantees: one final answer whatever the feeding code does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import pytest
from botbuilder.core import TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ConversationReference

from channels import TurnContextChannel
from llm import ModelError
from streaming import AnswerMarks, AnswerStream, Citation, DeliveryPlan, StreamingSettings
from streaming.notes import EMPTY_ANSWER_TEXT, GENERIC_FAILURE_NOTE, INFORMATIVE_TEXT_LIMIT, INTERRUPTED_NOTE

STREAM = DeliveryPlan(stream=True, interval=0.05, typing=True, typing_interval=0.05, reason="test")
ONE_MESSAGE = DeliveryPlan(stream=False, interval=0.05, typing=True, typing_interval=0.05, reason="test")


async def run_turn(logic: Callable[[TurnContext], Awaitable[None]]) -> list[Activity]:
    """Run `logic` as one turn of the SDK's TestAdapter; return what it sent."""
    adapter = TestAdapter(logic, ConversationReference(channel_id="webchat"))
    await adapter.receive_activity("question")
    return list(adapter.activity_buffer)


def finals(sent: list[Activity]) -> list[Activity]:
    return [activity for activity in sent if activity.type == "message"]


def when_sent(context: TurnContext, predicate: Callable[[Activity], bool]) -> asyncio.Event:
    """An event set once the turn has sent an activity that matches `predicate`."""
    sent = asyncio.Event()

    async def watch(_context: TurnContext, activities: list[Activity], send: Callable) -> object:
        responses = await send()
        if any(predicate(activity) for activity in activities):
            sent.set()
        return responses

    context.on_send_activities(watch)
    return sent


def is_type(activity_type: str) -> Callable[[Activity], bool]:
    return lambda activity: activity.type == activity_type


async def test_error_while_feeding_keeps_the_text_and_adds_a_note(caplog: pytest.LogCaptureFixture) -> None:
    async def logic(context: TurnContext) -> None:
        started = when_sent(context, is_type("typing"))
        async with AnswerStream(TurnContextChannel(context), STREAM) as answer:
            await started.wait()
            answer.append("Half an ans")
            raise RuntimeError("feeding broke")

    sent = await run_turn(logic)
    [final] = finals(sent)
    assert final.text == f"Half an ans\n\n{GENERIC_FAILURE_NOTE}"
    assert final.entities[0].stream_type == "final"
    assert "feeding broke" in caplog.text  # logged for the operator, with the error


async def test_model_error_note_says_what_failed() -> None:
    async def logic(context: TurnContext) -> None:
        async with AnswerStream(TurnContextChannel(context), ONE_MESSAGE):
            raise ModelError("the model service could not be reached")

    [final] = finals(await run_turn(logic))
    assert (
        final.text == "_(The answer ended early: the model service could not be reached. Please try again.)_"
    )


async def test_empty_answer_still_gets_a_final_message() -> None:
    async def logic(context: TurnContext) -> None:
        async with AnswerStream(TurnContextChannel(context), STREAM):
            pass

    sent = await run_turn(logic)
    assert [activity.text for activity in finals(sent)] == [EMPTY_ANSWER_TEXT]


async def test_cancellation_sends_the_final_and_propagates() -> None:
    async def logic(context: TurnContext) -> None:
        with pytest.raises(asyncio.CancelledError):
            async with AnswerStream(TurnContextChannel(context), STREAM) as answer:
                answer.append("Partial")
                raise asyncio.CancelledError

    [final] = finals(await run_turn(logic))
    assert final.text == f"Partial\n\n{INTERRUPTED_NOTE}"


async def test_a_note_after_unfinished_code_is_not_shown_as_code() -> None:
    async def logic(context: TurnContext) -> None:
        with pytest.raises(asyncio.CancelledError):
            async with AnswerStream(TurnContextChannel(context), STREAM) as answer:
                answer.append("```python\nprint(1)\n")
                raise asyncio.CancelledError

    [final] = finals(await run_turn(logic))
    assert final.text == f"```python\nprint(1)\n```\n\n{INTERRUPTED_NOTE}"


async def test_end_is_idempotent() -> None:
    async def logic(context: TurnContext) -> None:
        async with AnswerStream(TurnContextChannel(context), ONE_MESSAGE) as answer:
            answer.append("Once.")
            await answer.end()

    assert [activity.text for activity in finals(await run_turn(logic))] == ["Once."]


async def test_answer_complete_before_the_first_send_goes_out_as_one_message() -> None:
    async def logic(context: TurnContext) -> None:
        async with AnswerStream(TurnContextChannel(context), STREAM) as answer:
            answer.append("Instant.")

    sent = await run_turn(logic)
    assert [(activity.type, activity.text, activity.entities) for activity in sent] == [
        ("message", "Instant.", None)
    ]


async def test_typing_stops_when_the_message_is_sent() -> None:
    async def logic(context: TurnContext) -> None:
        typing = when_sent(context, is_type("typing"))
        async with AnswerStream(TurnContextChannel(context), ONE_MESSAGE) as answer:
            await typing.wait()
            answer.append("Done.")
        assert asyncio.all_tasks() == {asyncio.current_task()}, "typing is still running"

    sent = await run_turn(logic)
    assert sent[0].type == "typing"
    assert sent[-1].type == "message"


async def test_informative_text_is_cut_to_the_teams_limit() -> None:
    async def logic(context: TurnContext) -> None:
        started = when_sent(context, is_type("typing"))
        async with AnswerStream(TurnContextChannel(context), STREAM, informative_text="x" * 5000) as answer:
            await started.wait()
            answer.append("Hi")

    start = (await run_turn(logic))[0]
    assert start.entities[0].stream_type == "informative"
    assert len(start.text) == INFORMATIVE_TEXT_LIMIT


async def test_later_informative_update_replaces_thinking_until_text_starts() -> None:
    async def logic(context: TurnContext) -> None:
        thinking = when_sent(context, lambda activity: activity.text == "Thinking…")
        searching = when_sent(context, lambda activity: activity.text == "Searching the docs…")
        async with AnswerStream(TurnContextChannel(context), STREAM) as answer:
            await thinking.wait()
            answer.queue_informative("Searching the docs…")
            await searching.wait()
            answer.append("Found it.")

    sent = await run_turn(logic)
    informative = [a.text for a in sent if a.entities and a.entities[0].stream_type == "informative"]
    assert informative == ["Thinking…", "Searching the docs…"]
    assert [a.entities[0].stream_sequence for a in sent[:-1]] == list(range(1, len(sent)))


async def one_piece(text: str) -> AsyncIterator[str]:
    """A model's stream that says `text` in one piece."""
    yield text


def text_updates(sent: list[Activity]) -> list[Activity]:
    return [activity for activity in sent if activity.type == "typing" and activity.entities]


async def test_no_update_goes_out_between_the_models_end_and_the_final_message() -> None:
    # An update there would hold the final message back by a whole pacing interval.
    async def logic(context: TurnContext) -> None:
        started = when_sent(context, is_type("typing"))
        async with AnswerStream(TurnContextChannel(context), STREAM) as answer:
            await started.wait()
            await answer.consume(one_piece("All of it."))
            await asyncio.sleep(0.06)  # Ending a little late: the pace allowed an update meanwhile.

    sent = await run_turn(logic)
    assert [update.entities[0].stream_type for update in text_updates(sent)] == ["informative"]
    assert [final.text for final in finals(sent)] == ["All of it."]


async def test_a_caller_that_goes_on_after_the_model_still_shows_the_text() -> None:
    async def logic(context: TurnContext) -> None:
        started = when_sent(context, is_type("typing"))
        async with AnswerStream(TurnContextChannel(context), STREAM) as answer:
            await started.wait()
            await answer.consume(one_piece("First part."))
            shown = when_sent(context, lambda activity: activity.text == "First part.")
            await asyncio.wait_for(shown.wait(), 5)  # More work follows; the text is not held back.
            await answer.consume(one_piece(" Second part."))

    sent = await run_turn(logic)
    assert [final.text for final in finals(sent)] == ["First part. Second part."]


def marks_of(activity: Activity) -> tuple[list[str] | None, object]:
    """(the Message entity's additionalType, channelData's feedbackLoop) of a sent activity."""
    entity = next((e for e in activity.entities or [] if e.type == "https://schema.org/Message"), None)
    feedback = (activity.channel_data or {}).get("feedbackLoop")
    return (entity.additional_type if entity is not None else None), feedback


async def test_only_the_last_piece_of_a_long_answer_carries_the_marks() -> None:
    settings = StreamingSettings(max_message_utf16=100)
    marks = AnswerMarks(feedback="default")

    async def logic(context: TurnContext) -> None:
        async with AnswerStream(TurnContextChannel(context), ONE_MESSAGE, settings, marks=marks) as answer:
            answer.append("A sentence of the answer. " * 10)

    sent = finals(await run_turn(logic))
    assert len(sent) == 3
    assert [marks_of(activity) for activity in sent] == [
        (None, None),
        (None, None),
        (["AIGeneratedContent"], {"type": "default"}),
    ]


async def test_cited_sources_without_marks_carry_no_ai_label() -> None:
    """Whoever asks for no marks gets none but the citations that the text makes."""
    plan = replace(ONE_MESSAGE, citation_style="link_definitions")  # what Web Chat reads

    async def logic(context: TurnContext) -> None:
        async with AnswerStream(TurnContextChannel(context), plan) as answer:
            answer.append("Sourced [1].")
            answer.cite([Citation(1, "The source", "What it says.")])

    [final] = finals(await run_turn(logic))
    assert final.text == 'Sourced [1].\n\n[1]: cite:1 "The source"'
    [entity] = final.entities
    assert entity.additional_type is None
    assert [claim["position"] for claim in entity.citation] == [1]
