"""Each answer's report as OpenTelemetry metrics, and on the span of the turn that produced it."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.metrics import Meter
from opentelemetry.trace import StatusCode

from observability.metrics import COUNT_BUCKETS, LAG_BUCKETS, LATENCY_BUCKETS
from streaming.outcome import AnswerOutcome, AnswerReport


class AnswerTelemetry:
    """The streaming engine's `AnswerObserver` for OpenTelemetry, next to the Prometheus `BotMetrics`.

    The instruments are the Prometheus ones under OpenTelemetry names (same buckets). Called once
    when an answer starts and once when it ends, never per token or per update.
    """

    def __init__(self, meter: Meter) -> None:
        self._active = meter.create_up_down_counter(
            "bot.active_answers", unit="{answer}", description="Answers being produced now."
        )
        self._answers = meter.create_counter(
            "bot.answers", unit="{answer}", description="Answers by how they ended (attribute outcome)."
        )
        self._first_text = meter.create_histogram(
            "bot.first_visible_text",
            unit="s",
            description="From the start of an answer until its first text was visible to the user.",
            explicit_bucket_boundaries_advisory=LATENCY_BUCKETS,
        )
        self._first_token = meter.create_histogram(
            "bot.model_first_token",
            unit="s",
            description="From the start of an answer until the model's first text arrived.",
            explicit_bucket_boundaries_advisory=LATENCY_BUCKETS,
        )
        self._update_lag = meter.create_histogram(
            "bot.update_lag",
            unit="s",
            description="How late each stream update went out after it was due.",
            explicit_bucket_boundaries_advisory=LAG_BUCKETS,
        )
        self._updates = meter.create_histogram(
            "bot.updates_per_answer",
            unit="{update}",
            description="Stream updates sent per answer.",
            explicit_bucket_boundaries_advisory=COUNT_BUCKETS,
        )
        self._throttled = meter.create_counter(
            "bot.connector.throttled", unit="{response}", description="429 answers from the channel."
        )
        self._retries = meter.create_counter(
            "bot.connector.retries", unit="{request}", description="Sends to the channel tried again."
        )
        self._model_errors = meter.create_counter(
            "bot.model_errors", unit="{answer}", description="Answers the model failed (attribute error)."
        )

    def answer_started(self) -> None:
        self._active.add(1)

    def answer_ended(self, report: AnswerReport) -> None:
        self._active.add(-1)
        self._answers.add(1, {"outcome": report.outcome.value})
        if report.time_to_first_text is not None:
            self._first_text.record(report.time_to_first_text)
        if report.time_to_first_token is not None:
            self._first_token.record(report.time_to_first_token)
        for lag in report.update_lags:
            self._update_lag.record(max(lag, 0.0))
        self._updates.record(report.updates)
        if report.rate_limited:
            self._throttled.add(report.rate_limited)
        if report.retries:
            self._retries.add(report.retries)
        if report.failure:
            self._model_errors.add(1, {"error": report.failure})
        _describe_span(trace.get_current_span(), report)


def _describe_span(span: trace.Span, report: AnswerReport) -> None:
    """The report on the span the answer ran in: its answer span, or for an `expectReplies` answer
    (produced inside the user's request) the request's span."""
    if not span.is_recording():
        return
    attributes: dict[str, str | int | float] = {
        "bot.answer.outcome": report.outcome.value,
        "bot.answer.delivery": report.delivery,
        "bot.answer.characters": report.characters,
        "bot.answer.updates": report.updates,
        "bot.answer.rate_limited": report.rate_limited,
        "bot.answer.retries": report.retries,
    }
    if report.time_to_first_text is not None:
        attributes["bot.answer.first_visible_text_seconds"] = report.time_to_first_text
    if report.time_to_first_token is not None:
        attributes["bot.answer.model_first_token_seconds"] = report.time_to_first_token
    if report.update_lags:
        attributes["bot.answer.update_lag_max_seconds"] = max(0.0, *report.update_lags)  # as recorded
    if report.failure:
        attributes["bot.answer.model_error"] = report.failure
    span.set_attributes(attributes)
    if report.outcome is AnswerOutcome.FAILED:
        span.set_status(StatusCode.ERROR, report.failure or "the answer failed")
