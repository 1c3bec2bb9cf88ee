"""The bot's own tracer and meter providers, with the exporters of every configured destination."""

from __future__ import annotations

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider

from observability.telemetry_settings import TelemetrySettings

from .answers import AnswerTelemetry
from .exporters import metric_readers, span_processors
from .feedback import FeedbackTelemetry
from .spans import Handler, TurnSpanMiddleware, trace_requests

INSTRUMENTATION_SCOPE = "streaming-llm-bot"


class Telemetry:
    """Traces and metrics of one bot process, exported until `shutdown`.

    The providers are the app's own, not OpenTelemetry's global ones: nothing else in the process
    reports through them, and each app (each test) gets its own.
    """

    def __init__(self, settings: TelemetrySettings) -> None:
        # The SDK adds OTEL_RESOURCE_ATTRIBUTES and a service.instance.id of each process (so that
        # gunicorn's workers export their metrics apart).
        resource = Resource.create({SERVICE_NAME: settings.service_name})
        self._tracer_provider = TracerProvider(resource=resource, shutdown_on_exit=False)
        for processor in span_processors(settings, self._tracer_provider):
            self._tracer_provider.add_span_processor(processor)
        self._meter_provider = MeterProvider(
            resource=resource, metric_readers=metric_readers(settings), shutdown_on_exit=False
        )
        self._tracer = self._tracer_provider.get_tracer(INSTRUMENTATION_SCOPE)
        self.turn_spans = TurnSpanMiddleware(self._tracer)
        """Adapter middleware: the activity on the request's span, and each answer's span."""
        meter = self._meter_provider.get_meter(INSTRUMENTATION_SCOPE)
        self.answers = AnswerTelemetry(meter)
        """The answer observer that records the metrics and describes the answer's span."""
        self.feedback = FeedbackTelemetry(meter)
        """The feedback observer that counts ratings."""

    def trace_requests(self, handler: Handler) -> Handler:
        """`handler` (POST /api/messages) with a span per request."""
        return trace_requests(self._tracer, handler)

    def shutdown(self) -> None:
        """Export what is still buffered and stop the exporters' threads (blocks: call it in a thread)."""
        self._tracer_provider.shutdown()
        self._meter_provider.shutdown()
