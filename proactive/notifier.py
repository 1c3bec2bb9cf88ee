"""Runs notification jobs in the background: each conversation's delivery, a few at a time.

`submit` checks the conversations, writes the job's first record and returns at once; the job then
runs on this instance. At most `concurrency` conversations are worked on at a time, across all jobs:
each holds a model request when the notification is a prompt, and each of their sends counts
against the channel's limits (a send the channel answers 429 waits for its Retry-After and is tried
again, as an answer's are). The record is written again as results come, one write at a time.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator

from .jobs import JobRecords, NotifyJob
from .notification import Delivery, Notification
from .notify_request import BadNotifyRequest, NotifyRequest
from .references import ConversationReferences, Reference

logger = logging.getLogger(__name__)

Deliver = Callable[[Reference, Notification], Awaitable[Delivery]]
"""Delivers a notification in the conversation a reference names (the host's proactive turn)."""

SHUTDOWN_REASON = "The bot shut down before sending it."
UNKNOWN_IDS_SHOWN = 10  # unknown conversation ids named in a refusal; the rest are counted


class Notifier:
    """Takes notification jobs and runs them, each conversation through `deliver`."""

    def __init__(
        self,
        references: ConversationReferences,
        records: JobRecords,
        deliver: Deliver,
        *,
        concurrency: int,
    ) -> None:
        self._references = references
        self._records = records
        self._deliver = deliver
        self._concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._running: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._closing = False

    async def submit(self, request: NotifyRequest) -> NotifyJob:
        """Start a job for `request` and return it; its first record is stored by then.

        Raises `BadNotifyRequest` when a conversation it names is not stored.
        """
        targets = await self._targets(request.conversations)
        job = NotifyJob(uuid.uuid4().hex, request.notification.kind, list(targets))
        await self._records.save(job)
        task = asyncio.create_task(self._run(job, targets, request.notification))
        self._running.add(task)
        self._idle.clear()
        task.add_done_callback(self._finished)
        logger.info("notification job %s: a %s to %d conversations", job.id, job.kind, len(targets))
        return job

    async def wait_idle(self) -> None:
        """Wait until every job has finished and written its last record."""
        await self._idle.wait()

    async def shutdown(self, grace_seconds: float) -> None:
        """Start no more conversations; wait (at most `grace_seconds`) for the jobs to record how
        far they got."""
        self._closing = True
        if self._running:
            _, pending = await asyncio.wait(set(self._running), timeout=grace_seconds)
            if pending:
                logger.warning(
                    "%d notification jobs did not finish within %.0fs of shutdown",
                    len(pending),
                    grace_seconds,
                )

    async def _targets(self, conversation_ids: tuple[str, ...] | None) -> dict[str, Reference]:
        if conversation_ids is None:
            return await self._references.all()
        found = await self._references.find(conversation_ids)
        unknown = [conversation_id for conversation_id in conversation_ids if conversation_id not in found]
        if unknown:
            named = ", ".join(unknown[:UNKNOWN_IDS_SHOWN])
            more = f" and {len(unknown) - UNKNOWN_IDS_SHOWN} more" if len(unknown) > UNKNOWN_IDS_SHOWN else ""
            raise BadNotifyRequest(
                f"Unknown conversations (the bot has no reference for them): {named}{more}."
            )
        return {conversation_id: found[conversation_id] for conversation_id in conversation_ids}

    async def _run(self, job: NotifyJob, targets: dict[str, Reference], notification: Notification) -> None:
        progress = _ProgressWriter(self._records, job)
        queue = iter(targets.items())
        workers = [
            asyncio.create_task(self._work(job, queue, notification, progress))
            for _ in range(min(self._concurrency, len(targets)))
        ]
        try:
            await asyncio.gather(*workers)
        finally:
            job.finish()
            await progress.last()
            logger.info("notification job %s finished: %s", job.id, job.record()["counts"])

    async def _work(
        self,
        job: NotifyJob,
        queue: Iterator[tuple[str, Reference]],
        notification: Notification,
        progress: _ProgressWriter,
    ) -> None:
        """One of the job's workers: the next conversation, until none is left."""
        for conversation_id, reference in queue:
            if self._closing:
                job.delivered(conversation_id, Delivery("failed", SHUTDOWN_REASON))
                continue
            async with self._slots:
                job.sending(conversation_id)
                progress.changed()
                delivery = await self._deliver_one(conversation_id, reference, notification)
            job.delivered(conversation_id, delivery)
            progress.changed()

    async def _deliver_one(
        self, conversation_id: str, reference: Reference, notification: Notification
    ) -> Delivery:
        try:
            delivery = await self._deliver(reference, notification)
        except Exception as error:
            logger.exception("notification to conversation %s failed", conversation_id)
            return Delivery("failed", f"The bot failed: {type(error).__name__}.")
        if delivery.status == "removed":
            logger.info(
                "conversation %s is gone (%s): its reference is dropped", conversation_id, delivery.reason
            )
            try:
                await self._references.remove(conversation_id)
            except Exception:
                logger.warning("could not drop conversation %s's reference", conversation_id, exc_info=True)
        return delivery

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("notification job failed", exc_info=task.exception())
        if not self._running:
            self._idle.set()


class _ProgressWriter:
    """Writes a job's record whenever it changed, one write at a time: what changes during a write
    goes out in the next one, so a large job writes as often as the storage allows, no more."""

    def __init__(self, records: JobRecords, job: NotifyJob) -> None:
        self._records = records
        self._job = job
        self._dirty = False
        self._writer: asyncio.Task[None] | None = None

    def changed(self) -> None:
        self._dirty = True
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())

    async def last(self) -> None:
        """Write the final record (after any write in flight)."""
        self._dirty = True
        if self._writer is not None:
            await self._writer
        await self._write()

    async def _write(self) -> None:
        while self._dirty:
            self._dirty = False
            try:
                await self._records.save(self._job)
            except Exception:
                logger.warning("could not record notification job %s's progress", self._job.id, exc_info=True)
