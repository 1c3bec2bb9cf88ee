"""The exporters of each configured destination, each package imported only when its destination is set."""

from __future__ import annotations

from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanProcessor

from observability.telemetry_settings import TelemetrySettings


def span_processors(settings: TelemetrySettings, provider: TracerProvider) -> list[SpanProcessor]:
    """A batching processor per trace destination: spans leave in a background thread, never on the loop."""
    processors: list[SpanProcessor] = []
    if settings.otlp_traces_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processors.append(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_traces_endpoint)))
    if settings.app_insights_connection_string:
        from azure.monitor.opentelemetry.exporter import AzureMonitorTraceExporter

        exporter = AzureMonitorTraceExporter(
            connection_string=settings.app_insights_connection_string,
            # It sends the resource (service name, instance) from this provider; OpenTelemetry's global
            # one, which it would ask otherwise, is not set.
            tracer_provider=provider,
        )
        processors.append(BatchSpanProcessor(exporter))
    return processors


def metric_readers(settings: TelemetrySettings) -> list[MetricReader]:
    """A periodic reader per metrics destination (every OTEL_METRIC_EXPORT_INTERVAL ms, 60 s by default)."""
    readers: list[MetricReader] = []
    if settings.otlp_metrics_endpoint:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        readers.append(
            PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=settings.otlp_metrics_endpoint))
        )
    if settings.app_insights_connection_string:
        from azure.monitor.opentelemetry.exporter import AzureMonitorMetricExporter

        exporter = AzureMonitorMetricExporter(connection_string=settings.app_insights_connection_string)
        readers.append(PeriodicExportingMetricReader(exporter))
    return readers
