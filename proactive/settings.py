"""The notification API's settings."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NotifySettings:
    """`POST /api/notify`'s key (empty: the API does not exist), and how many conversations the
    bot works on at once for it."""

    api_key: str = ""  # NOTIFY_API_KEY
    concurrency: int = 4  # NOTIFY_CONCURRENCY
