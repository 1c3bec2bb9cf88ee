"""An answer the model cut off, as OpenTelemetry records it: its own outcome, not an error."""

from __future__ import annotations

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from observability.otel.answers import AnswerTelemetry
from streaming.outcome import AnswerOutcome, AnswerReport


def report(outcome: AnswerOutcome, failure: str | None) -> AnswerReport:
    return AnswerReport(
        outcome=outcome,
        delivery="Teams personal chat",
        characters=120,
        started_at=0.0,
        first_token_at=0.4,
        first_text_at=1.0,
        updates=3,
        rate_limited=0,
        retries=0,
        update_lags=[0.01],
        failure=failure,
    )


def test_a_cut_off_answer_has_its_outcome_and_reason_on_the_span_without_an_error() -> None:
    spans = InMemorySpanExporter()
    tracer = TracerProvider()
    tracer.add_span_processor(SimpleSpanProcessor(spans))
    metrics = InMemoryMetricReader()
    telemetry = AnswerTelemetry(MeterProvider(metric_readers=[metrics]).get_meter("test"))

    for outcome, failure in [(AnswerOutcome.CUT_OFF, "length"), (AnswerOutcome.FAILED, "ModelError")]:
        with tracer.get_tracer("test").start_as_current_span(outcome.value):
            telemetry.answer_started()
            telemetry.answer_ended(report(outcome, failure))

    cut_off, failed = spans.get_finished_spans()
    assert cut_off.attributes is not None
    assert cut_off.attributes["bot.answer.outcome"] == "cut_off"
    assert cut_off.attributes["bot.answer.model_error"] == "length"
    assert cut_off.status.status_code is StatusCode.UNSET
    assert failed.status.status_code is StatusCode.ERROR
    data = metrics.get_metrics_data()
    assert data is not None
    [answers] = [
        metric
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "bot.answers"
    ]
    counted = {point.attributes["outcome"]: point.value for point in answers.data.data_points}  # type: ignore[union-attr]
    assert counted == {"cut_off": 1, "failed": 1}
