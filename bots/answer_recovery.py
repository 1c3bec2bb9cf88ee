"""Finishing, on botbuilder, an answer whose instance stopped mid-answer (a crash, `kill -9`).

Another instance finds the orphan and holds its conversation (`instances.RedisLeases`); this is the
host's part, a `streaming.leases.RecoverAnswer`: in a continuation turn that replies to the user's
message, as the answer's own turn did, the open stream gets its final message with what the user
saw and a note (`streaming.orphaned_answer`), recorded as sent at once, and then the question and
that answer go into the history, saved as any turn's state is (`TurnStateSaver`).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from botbuilder.core import BotAdapter, ConversationState, TurnContext
from botbuilder.schema import ConversationReference

from answers import HistoryEntry, exchange, trim_history
from channels import TurnContextChannel, conversation_facts
from dialogs import HISTORY_PROPERTY, TurnChanges
from streaming import AnswerMarks, AnswerObserver, SendError, StreamingSettings, plan_delivery
from streaming.leases import AnswerProgress, OrphanedAnswer, ProgressLog
from streaming.orphaned_answer import finish_orphaned_answer
from streaming.outcome import AnswerOutcome

from .state_saver import TurnStateSaver

logger = logging.getLogger(__name__)


class AnswerRecovery:
    """Finishes orphaned answers: their last message through the adapter, then their history.

    `marks` go on that message as on any answer's last one; `observer` hears of each as an answer
    that ended `recovered`; the history keeps `history_budget` characters, as `ChatDialog`'s does.
    """

    def __init__(
        self,
        adapter: BotAdapter,
        bot_app_id: str,
        conversation_state: ConversationState,
        state_saver: TurnStateSaver,
        settings: StreamingSettings,
        *,
        marks: AnswerMarks | None,
        observer: AnswerObserver | None,
        history_budget: int,
    ) -> None:
        self._adapter = adapter
        self._bot_app_id = bot_app_id
        self._state_saver = state_saver
        self._history = conversation_state.create_property(HISTORY_PROPERTY)
        self._settings = settings
        self._marks = marks
        self._observer = observer
        self._history_budget = history_budget

    async def __call__(self, orphan: OrphanedAnswer, log: ProgressLog) -> float:
        """Finish `orphan`; when the conversation's next stream send may go out (the loop's clock).

        Raises what kept its history from being saved (the message is not sent again then).
        """
        reference = ConversationReference.deserialize(orphan.origin["reference"])
        question = str(orphan.origin["question"])
        pace_until = 0.0
        failure: Exception | None = None

        async def finish(context: TurnContext) -> None:
            nonlocal pace_until, failure
            context.activity.id = reference.activity_id  # Reply to the user's message.
            progress = orphan.progress
            if progress.ended is None:
                progress, pace_until = await self._send_last_message(context, progress)
                await log.record(progress)
            try:
                outcome = progress.ended or AnswerOutcome.RECOVERED
                await self._remember(context, exchange(question, progress.seen, outcome.value))
            except Exception as error:
                failure = error  # Raised below: the adapter's error handler would swallow it.

        await self._adapter.continue_conversation(reference, finish, self._bot_app_id)
        if failure is not None:
            raise failure
        return pace_until

    async def _send_last_message(
        self, context: TurnContext, progress: AnswerProgress
    ) -> tuple[AnswerProgress, float]:
        """Send the answer's last message; the progress it leaves (ended), and the pace after it."""
        plan = plan_delivery(conversation_facts(context.activity), self._settings)
        try:
            finished = await finish_orphaned_answer(
                TurnContextChannel(context),
                plan,
                self._settings,
                progress,
                marks=self._marks,
                observer=self._observer,
            )
        except SendError as error:
            logger.warning("could not send the last message of an unfinished answer: %s", error)
            return replace(progress, ended=AnswerOutcome.RECOVERED), 0.0
        return replace(progress, seen=finished.answer, ended=AnswerOutcome.RECOVERED), finished.pace_until

    async def _remember(self, context: TurnContext, entries: list[HistoryEntry]) -> None:
        """Add the question and its answer to the history, unless the answer's own turn saved them."""
        history: list[HistoryEntry] = await self._history.get(context, list)
        if history[-len(entries) :] == entries:
            return
        await self._history.set(context, trim_history([*history, *entries], self._history_budget))
        TurnChanges.of(context).add_to_history(entries)
        await self._state_saver.save(context)
