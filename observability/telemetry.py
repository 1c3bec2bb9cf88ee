"""Optional OpenTelemetry export: the switch that loads `otel/` only when a destination is configured."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .telemetry_settings import TelemetrySettings

if TYPE_CHECKING:
    from .otel import Telemetry


def start_telemetry(settings: TelemetrySettings) -> Telemetry | None:
    """The running export, or None when nothing is configured: then OpenTelemetry is not even imported,
    so a bot that exports nothing pays nothing for it."""
    if not settings.enabled:
        return None
    from .otel import Telemetry

    return Telemetry(settings)
