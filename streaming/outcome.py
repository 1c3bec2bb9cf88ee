"""How an answer ended, and who hears about it: the words every part of the bot shares about answers.

This module imports nothing of the project, so that anyone may use these names.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class StopReason(StrEnum):
    """Why an answer stopped before the model finished it."""

    STOPPED_BY_USER = "stopped_by_user"  # the channel's Stop button: the channel refuses more sends
    STOP_COMMAND = "stop_command"  # the user typed stop or cancel: the final message says so
    NEW_MESSAGE = "new_message"
    SHUTDOWN = "shutdown"
    MODEL_SILENT = "model_silent"
    CONTENT_FILTERED = "content_filtered"
    LEASE_LOST = "lease_lost"  # this instance could not keep its hold on the conversation (see leases.py)


class AnswerOutcome(StrEnum):
    """How an answer ended, as recorded in the history and the logs."""

    COMPLETE = "complete"
    STOPPED = "stopped"  # the user pressed Stop, or typed stop or cancel
    INTERRUPTED = "interrupted"  # a new message or a shutdown cut it short
    FAILED = "failed"  # the model or the channel failed
    CUT_OFF = "cut_off"  # the model ended it early: its length limit or its provider's filter
    RECOVERED = "recovered"  # its instance stopped mid-answer; another one ended it with what the user saw


STOP_OUTCOMES: dict[StopReason, AnswerOutcome] = {
    StopReason.STOPPED_BY_USER: AnswerOutcome.STOPPED,
    StopReason.STOP_COMMAND: AnswerOutcome.STOPPED,
    StopReason.NEW_MESSAGE: AnswerOutcome.INTERRUPTED,
    StopReason.SHUTDOWN: AnswerOutcome.INTERRUPTED,
    StopReason.MODEL_SILENT: AnswerOutcome.FAILED,
    StopReason.CONTENT_FILTERED: AnswerOutcome.FAILED,
    StopReason.LEASE_LOST: AnswerOutcome.INTERRUPTED,
}


@dataclass
class AnswerReport:
    """What happened to one answer (times from the answer's clock), for metrics and logs."""

    outcome: AnswerOutcome
    delivery: str
    characters: int
    started_at: float
    first_token_at: float | None
    first_text_at: float | None
    updates: int
    rate_limited: int
    retries: int
    update_lags: list[float]
    failure: str | None

    @property
    def time_to_first_text(self) -> float | None:
        """Seconds from the start of the answer until its first text was visible, if it ever was."""
        return None if self.first_text_at is None else self.first_text_at - self.started_at

    @property
    def time_to_first_token(self) -> float | None:
        """Seconds from the start of the answer until the model's first text, if any came."""
        return None if self.first_token_at is None else self.first_token_at - self.started_at


class AnswerObserver(Protocol):
    """Told when each answer starts and ends (see `observability.BotMetrics`, `observability.otel`)."""

    def answer_started(self) -> None: ...

    def answer_ended(self, report: AnswerReport) -> None: ...


class AnswerObservers:
    """Several observers as one, so that an answer reports to each (Prometheus and OpenTelemetry)."""

    def __init__(self, *observers: AnswerObserver) -> None:
        self._observers = observers

    def answer_started(self) -> None:
        for observer in self._observers:
            observer.answer_started()

    def answer_ended(self, report: AnswerReport) -> None:
        for observer in self._observers:
            observer.answer_ended(report)
