"""The answer's first sign, shown from the user's turn, and the answer's stream going on from it."""

from __future__ import annotations

from dataclasses import replace

from streaming import (
    AnswerSlot,
    AnswerStream,
    ConversationFacts,
    ConversationScheduler,
    DeliveryPlan,
    SendFailure,
    ShownSign,
    pacer_for,
    plan_delivery,
    show_first_sign,
)
from streaming.pacing import SLOWDOWN, Pacer
from tests.streaming.scripted_answers import SETTINGS, TEAMS, TEAMS_GROUP, Step, deliver
from tests.support.clock import ManualClock
from tests.support.memory_channel import MemoryChannel, of_type

THINKING = "Thinking…"
EXPECT_REPLIES = plan_delivery(ConversationFacts("msteams", "personal", expect_replies=True), SETTINGS)
NO_TYPING = replace(TEAMS_GROUP, typing=False)


def pacer(plan: DeliveryPlan = TEAMS) -> Pacer:
    return pacer_for(plan, SETTINGS)


async def test_a_streaming_plan_opens_the_stream_with_one_informative_update(
    clock: ManualClock, channel: MemoryChannel
) -> None:
    await clock.advance(5.0)
    pace = pacer()
    sign = await show_first_sign(channel, TEAMS, pace, clock, THINKING)

    [sent] = channel.sent
    assert sent.label == "informative" and sent.activity.text == THINKING
    assert sent.activity.kind == "typing"
    assert sent.activity.stream is not None
    assert (sent.activity.stream.stream_id, sent.activity.stream.sequence) == (None, 1)
    assert sign == ShownSign(sent.reply_id, 5.0)
    assert sign.stream_id is not None
    assert pace.next_send_at == 5.0 + TEAMS.interval  # the stream's next send keeps the channel's pace


async def test_nothing_is_sent_while_the_pace_does_not_allow_a_stream_send(
    clock: ManualClock, channel: MemoryChannel
) -> None:
    pace = pacer()
    pace.sent(0.0)  # the previous answer's final, just now
    assert await show_first_sign(channel, TEAMS, pace, clock, THINKING) is None
    assert channel.sent == []
    assert pace.next_send_at == TEAMS.interval


async def test_a_plan_without_streaming_shows_typing_once(clock: ManualClock, channel: MemoryChannel) -> None:
    await clock.advance(2.0)
    pace = pacer(TEAMS_GROUP)
    pace.sent(2.0)  # typing does not keep to the stream pace
    sign = await show_first_sign(channel, TEAMS_GROUP, pace, clock, THINKING)

    assert [item.label for item in channel.sent] == ["typing"]
    assert channel.sent[0].activity.text is None
    assert sign == ShownSign(None, 2.0)


async def test_no_sign_where_none_is_shown(clock: ManualClock, channel: MemoryChannel) -> None:
    assert await show_first_sign(channel, EXPECT_REPLIES, pacer(EXPECT_REPLIES), clock, THINKING) is None
    assert await show_first_sign(channel, NO_TYPING, pacer(NO_TYPING), clock, THINKING) is None
    assert channel.sent == []


async def test_a_429_leaves_the_sign_to_the_answer_and_slows_the_pace(
    clock: ManualClock, channel: MemoryChannel
) -> None:
    await clock.advance(1.0)
    channel.refuse(of_type("informative"), SendFailure.RATE_LIMITED, 429, retry_after=0.5)
    pace = pacer()
    assert await show_first_sign(channel, TEAMS, pace, clock, THINKING) is None
    assert pace.current == TEAMS.interval * SLOWDOWN
    assert pace.next_send_at == 1.0 + TEAMS.interval * SLOWDOWN


async def test_a_transient_failure_leaves_the_sign_to_the_answer(
    clock: ManualClock, channel: MemoryChannel
) -> None:
    channel.refuse(of_type("informative"), SendFailure.TRANSIENT, 503)
    pace = pacer()
    assert await show_first_sign(channel, TEAMS, pace, clock, THINKING) is None
    assert pace.current == TEAMS.interval


async def test_failed_typing_leaves_the_sign_to_the_answer(
    clock: ManualClock, channel: MemoryChannel
) -> None:
    channel.refuse(lambda outgoing: outgoing.kind == "typing", SendFailure.REJECTED, 400)
    assert await show_first_sign(channel, TEAMS_GROUP, pacer(TEAMS_GROUP), clock, THINKING) is None


async def test_a_refusal_to_stream_is_passed_on(clock: ManualClock, channel: MemoryChannel) -> None:
    channel.refuse(of_type("informative"), SendFailure.STREAMING_NOT_ALLOWED, 405)
    pace = pacer()
    sign = await show_first_sign(channel, TEAMS, pace, clock, THINKING)

    assert sign is not None and sign.stream_id is None
    assert sign.refused is not None and "405" in sign.refused
    assert pace.next_send_at == TEAMS.interval  # the refused request still counts against the pace


async def signed_answer(
    channel: MemoryChannel,
    clock: ManualClock,
    plan: DeliveryPlan,
    *steps: Step,
    turn_rest: float = 0.0,
) -> ShownSign | None:
    """Show the first sign from the user's turn, as `ChatAnswer.show_first_sign` does, then let the
    answer (scripted by `steps`) run in the conversation's slot once the rest of the turn, which
    takes `turn_rest` seconds, is over; the sign the turn showed."""
    scheduler = ConversationScheduler()

    async def run(slot: AnswerSlot) -> None:
        await deliver(AnswerStream(channel, plan, SETTINGS, clock=clock, slot=slot), clock, *steps)

    async with scheduler.inbound_turn("conv"):
        slot = scheduler.start("conv", None, run)
        sign = await show_first_sign(channel, plan, slot.shared_pacer(pacer(plan)), clock, THINKING)
        if sign is not None:
            slot.keep_sign(sign)
        await clock.advance(turn_rest)
    await clock.run_until_done(scheduler.wait_idle())
    return sign


async def test_the_answer_continues_the_stream_its_first_sign_opened(
    clock: ManualClock, channel: MemoryChannel
) -> None:
    sign = await signed_answer(channel, clock, TEAMS, 0.1, "Hello", 2.0, " world", turn_rest=0.3)

    assert sign is not None and sign.stream_id is not None
    assert [item.label for item in channel.sent].count("informative") == 1  # not shown twice
    first, second, *rest = channel.sent
    assert first.label == "informative" and first.at == 0.0
    assert second.label == "streaming" and second.activity.text == "Hello"
    assert second.activity.stream is not None
    assert (second.activity.stream.stream_id, second.activity.stream.sequence) == (sign.stream_id, 2)
    assert second.at >= sign.sent_at + TEAMS.interval  # the pace holds from the sign's send
    final = rest[-1]
    assert final.label == "final" and final.activity.text == "Hello world"
    assert final.activity.stream is not None and final.activity.stream.stream_id == sign.stream_id
    assert channel.bubbles() == ["Hello world"]


async def test_a_refused_sign_makes_the_answer_a_message_without_asking_again(
    clock: ManualClock, channel: MemoryChannel
) -> None:
    channel.refuse(of_type("informative"), SendFailure.STREAMING_NOT_ALLOWED, 405)
    sign = await signed_answer(channel, clock, TEAMS, 0.1, "Hello", 3.0, " world")

    assert sign is not None and sign.refused is not None
    stream_sends = [item for item in channel.sent if item.activity.stream is not None]
    assert [item.label for item in stream_sends] == ["informative refused: streaming_not_allowed"]
    assert channel.sent[-1].activity.kind == "message"
    assert channel.bubbles() == ["Hello world"]


async def test_after_a_typing_sign_the_answers_typing_comes_a_typing_interval_later(
    clock: ManualClock, channel: MemoryChannel
) -> None:
    interval = TEAMS_GROUP.typing_interval
    sign = await signed_answer(channel, clock, TEAMS_GROUP, interval, "Done.", turn_rest=0.5)

    assert sign == ShownSign(None, 0.0)
    assert channel.timeline() == [
        (0.0, "typing", None),
        (interval, "typing", None),  # not at 0.5, when the answer started
        (0.5 + interval, "message", "Done."),
    ]
