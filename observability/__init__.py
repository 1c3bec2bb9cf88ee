"""What operators see: Prometheus metrics and structured, redacted logs with turn ids; traces and
metrics exported through OpenTelemetry when configured (`telemetry`, `otel/`).

The botbuilder middleware (`turn_middleware`) loads on first use, so that the Agents SDK host
imports this package without botbuilder.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .logging import LogSettings, configure_logging, log_fields
from .metrics import BotMetrics

if TYPE_CHECKING:
    from .turn_middleware import TurnLogContextMiddleware, TurnTimingMiddleware

_ON_FIRST_USE = {
    "TurnLogContextMiddleware": ".turn_middleware",
    "TurnTimingMiddleware": ".turn_middleware",
}


def __getattr__(name: str) -> Any:
    """The botbuilder middleware, imported on first use."""
    if name not in _ON_FIRST_USE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_ON_FIRST_USE[name], __name__), name)


__all__ = [
    "BotMetrics",
    "LogSettings",
    "TurnLogContextMiddleware",
    "TurnTimingMiddleware",
    "configure_logging",
    "log_fields",
]
