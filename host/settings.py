"""Where the bot listens and how its HTTP host treats requests, readiness checks and shutdown."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HostSettings:
    """The web host's settings; the defaults are the ones `python app.py` runs with."""

    host: str = "localhost"
    port: int = 3978
    max_request_bytes: int = 256 * 1024  # larger bodies get 413; Bot Connector activities are far smaller
    ready_timeout: float = 3.0  # how long /readyz waits for the storage and the model
    shutdown_grace: float = 10.0  # on SIGTERM, how long open answers get to finish and save
