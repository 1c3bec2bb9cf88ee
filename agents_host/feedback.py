"""Feedback invokes on the Agents SDK: the thumbs up or down (and what the user wrote) that Teams sends.

`feedback/` reads, stores and counts the rating, in the same rows as the botbuilder host
(`bots/feedback.py`); this answers the invoke as that host does: 200 when stored, 400 with the
Bot Framework's error body for a malformed one, and with `FEEDBACK=custom` the form's Adaptive Card
for `message/fetchTask`. The bodies are plain JSON: the SDK's `TaskModuleResponse` model refuses a
`TaskModuleContinueResponse` as its `task`.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from microsoft_agents.activity import Activity, InvokeResponse
from microsoft_agents.hosting.core import CardFactory

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

    async def answer(self, activity: Activity) -> InvokeResponse | None:
        """The invoke response to a feedback invoke; None for any other invoke."""
        if activity.name == FETCH_TASK and self._loop == "custom":
            return InvokeResponse(status=HTTPStatus.OK, body=_form_task(activity))
        if not is_feedback(activity):
            return None
        try:
            await self._recorder.record(activity)
        except MalformedFeedback as error:
            logger.info("refused a malformed feedback invoke: %s", error)
            body = {"error": {"code": "BadArgument", "message": str(error)}}
            return InvokeResponse(status=HTTPStatus.BAD_REQUEST, body=body)
        return InvokeResponse(status=HTTPStatus.OK)


def _form_task(activity: Activity) -> dict[str, object]:
    """The task module response that shows the custom feedback form."""
    card = CardFactory.adaptive_card(feedback_form_card(activity.value))
    info = {"title": FORM_TITLE, "card": card.model_dump(mode="json", by_alias=True, exclude_none=True)}
    return {"task": {"type": "continue", "value": info}}
