"""The bot's Prometheus metrics, served at GET /metrics."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from streaming.outcome import AnswerReport

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0)
LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
COUNT_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200)


class BotMetrics:
    """Answers, streams, latencies, failures and feedback, in a registry of the bot's own.

    It is the streaming engine's `AnswerObserver`: every answer reports how it went when it ends;
    and the feedback invokes' `FeedbackObserver`.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.active_streams = Gauge(
            "bot_active_answers", "Answers being produced now.", registry=self.registry
        )
        self.answers = Counter(
            "bot_answers", "Answers by how they ended.", ["outcome"], registry=self.registry
        )
        self.first_text = Histogram(
            "bot_first_visible_text_seconds",
            "From the start of an answer until its first text was visible to the user.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.first_token = Histogram(
            "bot_model_first_token_seconds",
            "From the start of an answer until the model's first text arrived.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.update_lag = Histogram(
            "bot_update_lag_seconds",
            "How late each stream update went out after it was due (pace allowed and text was there).",
            buckets=LAG_BUCKETS,
            registry=self.registry,
        )
        self.updates = Histogram(
            "bot_updates_per_answer",
            "Stream updates sent per answer.",
            buckets=COUNT_BUCKETS,
            registry=self.registry,
        )
        self.throttled = Counter(
            "bot_connector_throttled", "429 answers from the channel.", registry=self.registry
        )
        self.retries = Counter(
            "bot_connector_retries", "Sends to the channel tried again.", registry=self.registry
        )
        self.model_errors = Counter(
            "bot_model_errors", "Answers the model failed, by error.", ["error"], registry=self.registry
        )
        self.circuit_open = Gauge(
            "bot_model_circuit_open",
            "1 while the model's circuit breaker refuses requests.",
            registry=self.registry,
        )
        self.feedback = Counter(
            "bot_feedback", "Users' ratings of answers, by reaction.", ["reaction"], registry=self.registry
        )
        self.turn_seconds = Histogram(
            "bot_turn_seconds",
            "How long turns take, by activity type (an answer's own turn is an event).",
            ["activity_type"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def watch_circuit(self, is_open: Callable[[], bool]) -> None:
        """Report the circuit breaker's state whenever metrics are read."""
        self.circuit_open.set_function(lambda: 1.0 if is_open() else 0.0)

    def answer_started(self) -> None:
        self.active_streams.inc()

    def answer_ended(self, report: AnswerReport) -> None:
        self.active_streams.dec()
        self.answers.labels(report.outcome.value).inc()
        if report.time_to_first_text is not None:
            self.first_text.observe(report.time_to_first_text)
        if report.time_to_first_token is not None:
            self.first_token.observe(report.time_to_first_token)
        for lag in report.update_lags:
            self.update_lag.observe(max(lag, 0.0))
        self.updates.observe(report.updates)
        if report.rate_limited:
            self.throttled.inc(report.rate_limited)
        if report.retries:
            self.retries.inc(report.retries)
        if report.failure:
            self.model_errors.labels(report.failure).inc()

    def feedback_received(self, reaction: str) -> None:
        self.feedback.labels(reaction).inc()

    async def handle(self, _request: web.Request) -> web.Response:
        """GET /metrics in Prometheus' text format."""
        response = web.Response(body=generate_latest(self.registry))
        response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        return response
