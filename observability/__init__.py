"""What operators see: Prometheus metrics and structured, redacted logs with turn ids; traces and
metrics exported through OpenTelemetry when configured (`telemetry`, `otel/`)."""

from .logging import LogSettings, TurnLogContextMiddleware, configure_logging
from .metrics import BotMetrics, TurnTimingMiddleware

__all__ = [
    "BotMetrics",
    "LogSettings",
    "TurnLogContextMiddleware",
    "TurnTimingMiddleware",
    "configure_logging",
]
