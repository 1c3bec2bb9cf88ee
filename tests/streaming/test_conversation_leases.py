"""The scheduler and the conversation's lease: held from a message's turn until its answer is saved,
and the answer ended when another instance asks (the contract of `streaming.leases`).

`Leases` stands for the shared store: it notes what the scheduler asks of it, and the test plays
the other instance by calling the interrupt the scheduler handed over. The Redis implementation is
tested against Redis (tests/instances/).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from streaming import AnswerStream, ConversationScheduler, StopReason
from streaming.answer_stream import AnswerSlot
from streaming.conversation_scheduler import RunAnswer
from streaming.leases import AnswerOrigin, InterruptAnswer, ProgressLog
from streaming.notes import STOP_NOTES
from tests.streaming.scripted_answers import TEAMS, deliver, said, words
from tests.support.clock import ManualClock
from tests.support.memory_channel import MemoryChannel

ORIGIN = {"question": "Why?"}


@dataclass
class Leases:
    """What the scheduler asked of the shared store, in order, at the clock's time."""

    clock: ManualClock
    pace_until: float = 0.0
    answering_elsewhere: bool = False
    events: list[tuple[float, str]] = field(default_factory=list)
    interrupts: list[InterruptAnswer] = field(default_factory=list)

    async def acquire(self, key: str, reason: StopReason, interrupt: InterruptAnswer) -> Lease:
        self.events.append((self.clock.now(), f"acquire for {reason.value}"))
        self.interrupts.append(interrupt)
        return Lease(self)

    async def answering(self, key: str) -> bool:
        return self.answering_elsewhere


@dataclass
class Lease:
    leases: Leases

    @property
    def pace_until(self) -> float:
        return self.leases.pace_until

    async def begin_answer(self, origin: AnswerOrigin) -> ProgressLog | None:
        self.leases.events.append((self.leases.clock.now(), f"begin {origin()['question']}"))
        return None

    async def release(self, pace_until: float) -> None:
        self.leases.events.append((self.leases.clock.now(), f"release, next send at {pace_until:g}"))


def answering(channel: MemoryChannel, clock: ManualClock, *steps: float | str) -> RunAnswer:
    async def run(slot: AnswerSlot) -> None:
        await deliver(AnswerStream(channel, TEAMS, clock=clock, slot=slot), clock, *steps)

    return run


async def test_the_lease_is_held_from_the_message_until_its_answer_ends_and_recorded_before_the_turn_ends(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    leases = Leases(clock)
    scheduler = ConversationScheduler(leases)

    async def conversation() -> None:
        async with scheduler.inbound_turn("chat"):
            scheduler.start("chat", "user", answering(channel, clock, 0.5, "Hello."), lambda: ORIGIN)
            await clock.sleep(0.25)  # the rest of the user's turn
        leases.events.append((clock.now(), "the user's turn is over"))
        await scheduler.wait_idle()

    await clock.run_until_done(conversation())

    assert leases.events == [
        (0.0, "acquire for new_message"),
        (0.25, "begin Why?"),
        (0.25, "the user's turn is over"),
        (1.25, "release, next send at 2.25"),  # after the final at 1.25, with the pace after it
    ]


async def test_another_instance_asking_ends_the_answer_as_a_new_message_here_would(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    leases = Leases(clock)
    scheduler = ConversationScheduler(leases)

    async def conversation() -> None:
        async with scheduler.inbound_turn("chat"):
            scheduler.start("chat", "user", answering(channel, clock, *words(20)))
        await clock.sleep(2.25)
        (interrupt,) = leases.interrupts
        interrupt(StopReason.NEW_MESSAGE)  # the other instance got a message in this conversation
        await scheduler.wait_idle()

    await clock.run_until_done(conversation())

    assert channel.timeline()[-1] == (3.0, "final", f"{said(4)}\n\n{STOP_NOTES[StopReason.NEW_MESSAGE]}")
    assert leases.events[-1] == (3.0, "release, next send at 4")


async def test_a_request_during_the_users_turn_ends_the_answer_as_soon_as_it_opens(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    leases = Leases(clock)
    scheduler = ConversationScheduler(leases)

    async def conversation() -> None:
        async with scheduler.inbound_turn("chat"):
            (interrupt,) = leases.interrupts
            interrupt(StopReason.STOP_COMMAND)
            scheduler.start("chat", "user", answering(channel, clock, *words(20)))
        await scheduler.wait_idle()

    await clock.run_until_done(conversation())

    assert channel.bubbles() == [STOP_NOTES[StopReason.STOP_COMMAND]]


async def test_the_first_stream_send_waits_for_the_pace_the_previous_holder_left(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    leases = Leases(clock, pace_until=0.75)
    scheduler = ConversationScheduler(leases)

    async def conversation() -> None:
        async with scheduler.inbound_turn("chat"):
            scheduler.start("chat", "user", answering(channel, clock, 1.5, "Hello."))
        await scheduler.wait_idle()

    await clock.run_until_done(conversation())

    assert channel.timeline() == [(0.75, "informative", "Thinking…"), (1.75, "final", "Hello.")]


async def test_a_turn_that_starts_no_answer_lets_go_when_it_ends(clock: ManualClock) -> None:
    leases = Leases(clock)
    scheduler = ConversationScheduler(leases)

    async def conversation() -> None:
        async with scheduler.inbound_turn("chat"):
            await clock.sleep(0.5)  # "help", say

    await clock.run_until_done(conversation())

    assert leases.events == [(0.0, "acquire for new_message"), (0.5, "release, next send at 0")]


async def test_a_stop_for_an_answer_on_another_instance_takes_the_conversation_for_that_reason(
    clock: ManualClock,
) -> None:
    leases = Leases(clock, answering_elsewhere=True)
    scheduler = ConversationScheduler(leases)

    async def stop() -> None:
        assert not scheduler.answering("chat")
        assert await scheduler.answering_anywhere("chat")
        await scheduler.stop("chat", StopReason.STOP_COMMAND)

    await clock.run_until_done(stop())

    assert leases.events == [(0.0, "acquire for stop_command"), (0.0, "release, next send at 0")]
