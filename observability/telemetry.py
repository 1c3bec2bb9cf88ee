"""Optional OpenTelemetry export: what to export where, and the switch that loads it only when asked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .otel import Telemetry


@dataclass(frozen=True)
class TelemetrySettings:
    """Where traces and metrics go; with every destination empty (the default) nothing is exported."""

    service_name: str
    app_insights_connection_string: str = ""
    otlp_traces_endpoint: str = ""
    otlp_metrics_endpoint: str = ""

    @property
    def enabled(self) -> bool:
        return bool(
            self.app_insights_connection_string or self.otlp_traces_endpoint or self.otlp_metrics_endpoint
        )


def start_telemetry(settings: TelemetrySettings) -> Telemetry | None:
    """The running export, or None when nothing is configured: then OpenTelemetry is not even imported,
    so a bot that exports nothing pays nothing for it."""
    if not settings.enabled:
        return None
    from .otel import Telemetry

    return Telemetry(settings)
