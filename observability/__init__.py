"""What operators see: Prometheus metrics and structured, redacted logs with turn ids; traces and
metrics exported through OpenTelemetry when configured (`telemetry`, `otel/`).

The botbuilder middleware (`turn_middleware`) loads on first use, so that the Agents SDK host
imports this package without botbuilder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from on_first_use import attributes_on_first_use

from .logging import LogSettings, configure_logging, log_fields
from .metrics import BotMetrics

if TYPE_CHECKING:
    from .turn_middleware import TurnLogContextMiddleware, TurnTimingMiddleware

_ON_FIRST_USE = {
    "TurnLogContextMiddleware": ".turn_middleware",
    "TurnTimingMiddleware": ".turn_middleware",
}


__getattr__ = attributes_on_first_use(__name__, _ON_FIRST_USE)


__all__ = [
    "BotMetrics",
    "LogSettings",
    "TurnLogContextMiddleware",
    "TurnTimingMiddleware",
    "configure_logging",
    "log_fields",
]
