"""What an answer records of itself for another instance, and how another instance finishes it.

The progress log here keeps each record with how many sends had reached the channel by then, so
that a test can tell that what an update shows was recorded before the update went out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from streaming import AnswerMarks, AnswerReport, AnswerStream, Outgoing, SendFailure, StreamInfo
from streaming.early_sign import ShownSign
from streaming.leases import AnswerProgress
from streaming.notes import RESTARTED_NOTE
from streaming.orphaned_answer import finish_orphaned_answer
from streaming.outcome import AnswerOutcome
from streaming.pacing import Pacer
from tests.streaming.scripted_answers import SETTINGS, TEAMS, TEAMS_GROUP, deliver
from tests.support.clock import ManualClock
from tests.support.memory_channel import MemoryChannel, of_type


@dataclass
class Log:
    """A progress log: each record, and how many sends the channel had seen when it came."""

    channel: MemoryChannel
    lead: float = 0.0
    records: list[tuple[int, AnswerProgress]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)

    async def record(self, progress: AnswerProgress) -> None:
        self.records.append((len(self.channel.sent), progress))
        self.times.append(self.channel.clock.now())


@dataclass
class Slot:
    """The conversation the answer belongs to, with its progress log."""

    progress: Log

    def attach(self, answer: AnswerStream) -> None:
        pass

    def shared_pacer(self, own: Pacer) -> Pacer:
        return own

    def keep_sign(self, sign: ShownSign) -> None:
        pass

    def take_sign(self) -> ShownSign | None:
        return None


@dataclass
class Observer:
    reports: list[AnswerReport] = field(default_factory=list)
    started: int = 0

    def answer_started(self) -> None:
        self.started += 1

    def answer_ended(self, report: AnswerReport) -> None:
        self.reports.append(report)


async def test_what_each_update_shows_is_recorded_before_it_goes_out_and_the_end_after_the_final(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    log = Log(channel)
    stream = AnswerStream(channel, TEAMS, SETTINGS, clock=clock, slot=Slot(log))
    await clock.run_until_done(deliver(stream, clock, 0.5, "Hello", 1.0, " there", 5.0, ", friend."))

    sends = [(item.label, item.activity.text) for item in channel.sent]
    assert sends == [
        ("informative", "Thinking…"),
        ("streaming", "Hello"),
        ("streaming", "Hello there"),
        ("streaming", "Hello there"),  # keep-alives while the model is silent
        ("streaming", "Hello there"),
        ("final", "Hello there, friend."),
    ]
    stream_id = channel.sent[0].reply_id
    assert log.records == [
        (1, AnswerProgress(stream_id, 1, "", "")),  # the stream's id, once the channel gave it
        (1, AnswerProgress(stream_id, 2, "Hello", "Hello")),  # before the update that shows it
        (2, AnswerProgress(stream_id, 3, "Hello there", "Hello there")),
        # The keep-alives change nothing, so they record nothing.
        (6, AnswerProgress(None, 0, "", "Hello there, friend.", AnswerOutcome.COMPLETE)),
    ]


async def test_with_a_lead_the_update_is_recorded_that_much_earlier_and_still_goes_out_on_time(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    log = Log(channel, lead=0.25)
    stream = AnswerStream(channel, TEAMS, SETTINGS, clock=clock, slot=Slot(log))
    await clock.run_until_done(deliver(stream, clock, 0.5, "Hello", 1.0, " there", 1.0, "."))

    assert channel.timeline() == [
        (0.0, "informative", "Thinking…"),
        (1.0, "streaming", "Hello"),  # as without a progress log
        (2.0, "streaming", "Hello there"),
        (3.0, "final", "Hello there."),
    ]
    shown = [(at, progress.shown) for at, (_, progress) in zip(log.times, log.records, strict=True)]
    assert shown == [(0.0, ""), (0.75, "Hello"), (1.75, "Hello there"), (3.0, "")]


async def test_an_answer_that_does_not_stream_records_only_how_it_ended(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    log = Log(channel)
    stream = AnswerStream(channel, TEAMS_GROUP, SETTINGS, clock=clock, slot=Slot(log))
    await clock.run_until_done(deliver(stream, clock, 0.5, "All at once."))

    assert log.records == [(2, AnswerProgress(None, 0, "", "All at once.", AnswerOutcome.COMPLETE))]


async def open_stream(channel: MemoryChannel, text: str) -> str:
    """A stream as the stopped instance left it: started, one update with `text`."""
    stream_id = await channel.send(Outgoing("typing", "Thinking…", StreamInfo("informative", None, 1)))
    assert stream_id is not None
    await channel.send(Outgoing("typing", text, StreamInfo("streaming", stream_id, 2)))
    return stream_id


async def test_an_orphaned_stream_gets_its_final_with_what_the_user_saw_and_the_note(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    stream_id = await open_stream(channel, "Half of it")
    observer = Observer()
    progress = AnswerProgress(stream_id, 2, "Half of it", "Half of it")
    marks = AnswerMarks()

    finished = await clock.run_until_done(
        finish_orphaned_answer(
            channel, TEAMS, SETTINGS, progress, marks=marks, observer=observer, clock=clock
        )
    )

    final = channel.sent[-1]
    assert (final.label, final.activity.text) == ("final", f"Half of it\n\n{RESTARTED_NOTE}")
    assert final.activity.stream == StreamInfo("final", stream_id, None)
    assert final.activity.marks == marks  # the AI label on the answer's last message, as always
    assert finished.answer == f"Half of it\n\n{RESTARTED_NOTE}"
    assert finished.pace_until == clock.now() + TEAMS.interval
    assert observer.started == 1
    assert [report.outcome for report in observer.reports] == [AnswerOutcome.RECOVERED]


async def test_an_orphan_with_no_stream_open_gets_the_note_as_a_message(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    progress = AnswerProgress(None, 0, "", "")
    finished = await clock.run_until_done(
        finish_orphaned_answer(channel, TEAMS_GROUP, SETTINGS, progress, marks=AnswerMarks(), clock=clock)
    )

    assert [(item.label, item.activity.text, item.activity.marks) for item in channel.sent] == [
        ("message", RESTARTED_NOTE, None)  # the bot's own note carries no AI label
    ]
    assert finished.answer == RESTARTED_NOTE


async def test_an_orphaned_stream_the_user_stopped_gets_nothing_more(
    channel: MemoryChannel, clock: ManualClock
) -> None:
    stream_id = await open_stream(channel, "Half of it")
    channel.refuse(of_type("final"), SendFailure.STOPPED_BY_USER, 403)
    progress = AnswerProgress(stream_id, 2, "Half of it", "Half of it")

    finished = await clock.run_until_done(
        finish_orphaned_answer(channel, TEAMS, SETTINGS, progress, marks=None, clock=clock)
    )

    assert [item.label for item in channel.sent] == [
        "informative",
        "streaming",
        "final refused: stopped_by_user",
    ]
    assert finished.answer == "Half of it"
