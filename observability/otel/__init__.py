"""Traces and metrics exported through OpenTelemetry to Application Insights and OTLP collectors.

Imported only when `TelemetrySettings.enabled` (see `observability.telemetry.start_telemetry`).
"""

from .providers import Telemetry

__all__ = ["Telemetry"]
