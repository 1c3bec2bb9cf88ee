"""Feedback on answers as an OpenTelemetry counter, next to the Prometheus `bot_feedback_total`."""

from __future__ import annotations

from opentelemetry.metrics import Meter


class FeedbackTelemetry:
    """The feedback invokes' `FeedbackObserver` for OpenTelemetry: `bot.feedback` (attribute reaction)."""

    def __init__(self, meter: Meter) -> None:
        self._feedback = meter.create_counter(
            "bot.feedback", unit="{rating}", description="Users' ratings of answers (attribute reaction)."
        )

    def feedback_received(self, reaction: str) -> None:
        self._feedback.add(1, {"reaction": reaction})
