"""Where traces and metrics are exported: the settings `telemetry` switches on and `otel/` exports to."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TelemetrySettings:
    """Where traces and metrics go; with every destination empty (the default) nothing is exported."""

    service_name: str = "streaming-llm-bot"
    app_insights_connection_string: str = ""
    otlp_traces_endpoint: str = ""
    otlp_metrics_endpoint: str = ""

    @property
    def enabled(self) -> bool:
        return bool(
            self.app_insights_connection_string or self.otlp_traces_endpoint or self.otlp_metrics_endpoint
        )
