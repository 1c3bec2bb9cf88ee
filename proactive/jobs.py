"""A notification job's progress, and its record in the state storage, where any instance reads it.

The instance that accepted the job runs it and is the only one that writes its record; `GET
/api/notify/{job}` on any instance reads it back. The record shows each conversation as `pending`,
`sending`, then how it went (see `Delivery`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from .notification import Delivery, NotificationKind
from .references import ItemStorage

JOB_KEY = "notifications/jobs/{}"
JOB_ID = re.compile(r"[0-9a-f]{32}")
"""A job's id: a random UUID's hex digits (anything else names no job)."""

JobState = Literal["running", "finished"]
STATUSES = ("pending", "sending", "sent", "failed", "removed")


@dataclass
class _Progress:
    status: str = "pending"
    delivery: Delivery | None = None


class NotifyJob:
    """One notification sent to `conversation_ids`, and how far it has gone."""

    def __init__(self, job_id: str, kind: NotificationKind, conversation_ids: Sequence[str]) -> None:
        self.id = job_id
        self.kind = kind
        self.state: JobState = "running"
        self.created_at = _now()
        self.finished_at: str | None = None
        self._progress = {conversation_id: _Progress() for conversation_id in conversation_ids}

    def sending(self, conversation_id: str) -> None:
        self._progress[conversation_id].status = "sending"

    def delivered(self, conversation_id: str, delivery: Delivery) -> None:
        """How the notification went in `conversation_id`."""
        self._progress[conversation_id] = _Progress(delivery.status, delivery)

    def finish(self) -> None:
        self.state = "finished"
        self.finished_at = _now()

    def record(self) -> dict[str, Any]:
        """The job as `GET /api/notify/{job}` shows it (and the storage keeps it)."""
        counts = dict.fromkeys(STATUSES, 0)
        conversations: list[dict[str, Any]] = []
        for conversation_id, progress in self._progress.items():
            counts[progress.status] += 1
            entry: dict[str, Any] = {"id": conversation_id, "status": progress.status}
            delivery = progress.delivery
            if delivery is not None:
                optional = {
                    "reason": delivery.reason,
                    "http_status": delivery.http_status,
                    "outcome": delivery.outcome,
                }
                entry.update({name: value for name, value in optional.items() if value is not None})
            conversations.append(entry)
        return {
            "job": self.id,
            "kind": self.kind,
            "state": self.state,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
            "total": len(self._progress),
            "counts": counts,
            "conversations": conversations,
        }


class JobRecords:
    """Notification jobs' records in the state storage, by job id."""

    def __init__(self, storage: ItemStorage) -> None:
        self._storage = storage

    async def save(self, job: NotifyJob) -> None:
        """Write the job's record as it is now (its one writer overwrites it)."""
        await self._storage.write({JOB_KEY.format(job.id): job.record()})

    async def load(self, job_id: str) -> dict[str, Any] | None:
        """The record of job `job_id`, or None if there is no such job."""
        if not JOB_ID.fullmatch(job_id):
            return None
        key = JOB_KEY.format(job_id)
        item = (await self._storage.read([key])).get(key)
        if not isinstance(item, dict):
            return None
        return {name: value for name, value in item.items() if name != "e_tag"}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
