"""Feedback invokes on botbuilder: the thumbs up or down (and what the user wrote) that Teams sends.

`feedback/` reads, stores and counts the rating (the same rows as the Agents SDK host's); this answers
the invoke: 200 when stored, 400 with the reason for a malformed one. With `FEEDBACK=custom` Teams
first asks for the form with `message/fetchTask`, answered with the form's Adaptive Card.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from botbuilder.core import CardFactory, InvokeResponse, TurnContext
from botbuilder.schema import Error, ErrorResponse
from botbuilder.schema.teams import TaskModuleContinueResponse, TaskModuleResponse, TaskModuleTaskInfo

from feedback import (
    FETCH_TASK,
    FORM_TITLE,
    FeedbackRecorder,
    MalformedFeedback,
    feedback_form_card,
    is_feedback,
)
from streaming import FeedbackLoop

logger = logging.getLogger(__name__)


class FeedbackInvokes:
    """Answers feedback invokes: `recorder` stores and counts each rating.

    `loop` is the feedback the answers ask for (`FEEDBACK`): with "custom", Teams asks for the
    form first. Ratings are taken whatever it is, also for answers sent before it changed.
    """

    def __init__(self, recorder: FeedbackRecorder, loop: FeedbackLoop | None) -> None:
        self._recorder = recorder
        self._loop = loop

    async def answer(self, context: TurnContext) -> InvokeResponse | None:
        """The invoke response to a feedback invoke; None for any other invoke."""
        activity = context.activity
        if activity.name == FETCH_TASK and self._loop == "custom":
            info = TaskModuleTaskInfo(
                title=FORM_TITLE, card=CardFactory.adaptive_card(feedback_form_card(activity.value))
            )
            return InvokeResponse(
                status=HTTPStatus.OK, body=TaskModuleResponse(task=TaskModuleContinueResponse(value=info))
            )
        if not is_feedback(activity):
            return None
        try:
            await self._recorder.record(activity)
        except MalformedFeedback as error:
            logger.info("refused a malformed feedback invoke: %s", error)
            body = ErrorResponse(error=Error(code="BadArgument", message=str(error)))
            return InvokeResponse(status=HTTPStatus.BAD_REQUEST, body=body)
        return InvokeResponse(status=HTTPStatus.OK)
