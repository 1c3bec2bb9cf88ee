"""How the engine's unit tests run an answer: a model that follows a script, on a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from llm import ModelSignal
from streaming import AnswerStream, ConversationFacts, DeliveryPlan, StreamingSettings, plan_delivery
from tests.support.clock import ManualClock
from tests.support.memory_channel import MemoryChannel

SETTINGS = StreamingSettings()
TEAMS = plan_delivery(ConversationFacts("msteams", "personal", expect_replies=False), SETTINGS)
"""Streams, one send a second at most."""
TEAMS_GROUP = plan_delivery(ConversationFacts("msteams", "groupChat", expect_replies=False), SETTINGS)
"""Typing every 3 s, then the answer as one message."""

Step = float | str | ModelSignal | BaseException


async def model(clock: ManualClock, *steps: Step) -> AsyncIterator[str | ModelSignal]:
    """A model's stream: a number waits that many seconds, an exception is raised, the rest is yielded."""
    for step in steps:
        if isinstance(step, float | int):
            await clock.sleep(step)
        elif isinstance(step, BaseException):
            raise step
        else:
            yield step


async def deliver(stream: AnswerStream, clock: ManualClock, *steps: Step) -> None:
    """Open `stream`, feed it from a model that follows `steps`, and end it."""
    async with stream:
        await stream.consume(model(clock, *steps))


async def answer(
    channel: MemoryChannel,
    clock: ManualClock,
    *steps: Step,
    plan: DeliveryPlan = TEAMS,
    settings: StreamingSettings = SETTINGS,
    **options: Any,
) -> AnswerStream:
    """One whole answer from a model that follows `steps`, run to its end on the clock.

    `options` are the rest of `AnswerStream`'s (an answer filter, the informative text).
    """
    stream = AnswerStream(channel, plan, settings, clock=clock, **options)
    await clock.run_until_done(deliver(stream, clock, *steps))
    return stream


def words(count: int) -> list[Step]:
    """A model that says " w0", " w1", … one word every half second."""
    return [step for number in range(count) for step in (0.5, f" w{number}")]


def said(count: int) -> str:
    """What `words(count)` says."""
    return "".join(f" w{number}" for number in range(count))
