"""Feedback on answers: the thumbs up or down (and what the user wrote) that Teams sends as an invoke.

A click arrives as `invoke` `message/submitAction` with `value: {"actionName": "feedback",
"actionValue": {"reaction": "like" | "dislike", "feedback": ...}}`. Teams sends `feedback` as a
JSON string of its form's fields (`{"feedbackText": "..."}`) and the rated message's id as
`replyToId`; the Microsoft 365 Agents Playground sends the raw text and no `replyToId`. Both are
stored in the bot's state storage (shared by every instance), counted, and answered 200; a
malformed one is answered 400. With `FEEDBACK=custom` Teams first asks for the form with
`message/fetchTask`, answered here with a small Adaptive Card. The text is never logged.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Literal, Protocol, cast

from botbuilder.core import CardFactory, InvokeResponse, Storage, TurnContext
from botbuilder.schema import Activity, Error, ErrorResponse
from botbuilder.schema.teams import TaskModuleContinueResponse, TaskModuleResponse, TaskModuleTaskInfo

from streaming import FeedbackLoop

logger = logging.getLogger(__name__)

SUBMIT_ACTION = "message/submitAction"
FETCH_TASK = "message/fetchTask"
FEEDBACK_ACTION = "feedback"
FEEDBACK_TEXT_FIELD = "feedbackText"  # Teams' default form's field, and the custom form's
REACTIONS = ("like", "dislike")
FORM_QUESTIONS = {
    "like": "What did you like about this answer?",
    "dislike": "What went wrong with this answer?",
}

Reaction = Literal["like", "dislike"]


class FeedbackObserver(Protocol):
    """Counts feedback (metrics, telemetry)."""

    def feedback_received(self, reaction: str) -> None: ...


class MalformedFeedback(ValueError):
    """A feedback invoke this bot cannot read; the message says what is wrong with it."""


@dataclass(frozen=True)
class Feedback:
    """One user's rating of one answer, as stored."""

    reaction: Reaction
    text: str
    answer_id: str | None
    """The rated message's id (Teams' `replyToId`); None when the client does not say."""
    user_id: str | None
    user_aad_object_id: str | None
    given_at: str  # ISO 8601, UTC


def is_feedback(activity: Activity) -> bool:
    """Whether `activity` is a feedback invoke: a submit action whose action is "feedback", or
    one too malformed to have an action name (which can only be answered 400)."""
    if activity.name != SUBMIT_ACTION:
        return False
    value = activity.value
    return not isinstance(value, dict) or value.get("actionName", FEEDBACK_ACTION) == FEEDBACK_ACTION


def read_feedback(activity: Activity, given_at: datetime) -> Feedback:
    """The feedback a `message/submitAction` invoke carries; raises `MalformedFeedback`."""
    value = activity.value
    if not isinstance(value, dict) or value.get("actionName") != FEEDBACK_ACTION:
        raise MalformedFeedback('value must be {"actionName": "feedback", "actionValue": {...}}')
    action = value.get("actionValue")
    if not isinstance(action, dict):
        raise MalformedFeedback("value.actionValue must be an object")
    reaction = action.get("reaction")
    if reaction not in REACTIONS:
        raise MalformedFeedback('value.actionValue.reaction must be "like" or "dislike"')
    sender = activity.from_property
    return Feedback(
        reaction=cast(Reaction, reaction),
        text=_feedback_text(action.get("feedback")),
        answer_id=activity.reply_to_id or None,
        user_id=sender.id if sender else None,
        user_aad_object_id=sender.aad_object_id if sender else None,
        given_at=given_at.isoformat(timespec="seconds"),
    )


def feedback_key(activity: Activity, feedback: Feedback) -> str:
    """Where one feedback is stored: under its conversation, by the rated answer and the user (the
    latest rating counts), or by a new id when the client does not say which answer."""
    conversation = f"{activity.channel_id}/conversations/{activity.conversation.id}/feedback"
    if feedback.answer_id:
        return f"{conversation}/{feedback.answer_id}/{feedback.user_id or 'unknown-user'}"
    return f"{conversation}/{uuid.uuid4().hex}"


class FeedbackInvokes:
    """Answers feedback invokes: stores each rating in `storage` and tells `observers`.

    `loop` is the feedback the answers ask for (`FEEDBACK`): with "custom", Teams asks for the
    form first. Ratings are taken whatever it is, also for answers sent before it changed.
    """

    def __init__(
        self, storage: Storage, loop: FeedbackLoop | None, observers: Sequence[FeedbackObserver] = ()
    ) -> None:
        self._storage = storage
        self._loop = loop
        self._observers = observers

    async def answer(self, context: TurnContext) -> InvokeResponse | None:
        """The invoke response to a feedback invoke; None for any other invoke."""
        activity = context.activity
        if activity.name == FETCH_TASK and self._loop == "custom":
            return InvokeResponse(status=HTTPStatus.OK, body=_feedback_form(activity))
        if not is_feedback(activity):
            return None
        try:
            feedback = read_feedback(activity, datetime.now(UTC))
        except MalformedFeedback as error:
            logger.info("refused a malformed feedback invoke: %s", error)
            return _bad_request(str(error))
        # A storage outage fails the turn as in any other turn (see host/turn_errors.py).
        await self._storage.write({feedback_key(activity, feedback): asdict(feedback)})
        for observer in self._observers:
            observer.feedback_received(feedback.reaction)
        rated = feedback.answer_id or "an answer without an id"
        logger.info("feedback stored: %s on %s", feedback.reaction, rated)
        return InvokeResponse(status=HTTPStatus.OK)


def _feedback_text(feedback: object) -> str:
    """What the user wrote: the form's text field of Teams' JSON string, or the raw text."""
    if feedback is None:
        return ""
    if isinstance(feedback, str):
        try:
            fields = json.loads(feedback)
        except ValueError:
            return feedback
        if not isinstance(fields, dict):
            return feedback
        feedback = fields
    if isinstance(feedback, dict):
        text = feedback.get(FEEDBACK_TEXT_FIELD, "")
        if not isinstance(text, str):
            raise MalformedFeedback(f"the feedback's {FEEDBACK_TEXT_FIELD} must be text")
        return text
    raise MalformedFeedback("value.actionValue.feedback must be text")


def _feedback_form(activity: Activity) -> TaskModuleResponse:
    """The custom feedback dialog: one question, one text box, a Submit button."""
    value = activity.value if isinstance(activity.value, dict) else {}
    action = value.get("actionValue") if isinstance(value.get("actionValue"), dict) else {}
    question = FORM_QUESTIONS.get(str(action.get("reaction")), "Tell us more about this answer.")
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": question, "weight": "Bolder", "wrap": True},
            {
                "type": "Input.Text",
                "id": FEEDBACK_TEXT_FIELD,
                "isMultiline": True,
                "placeholder": "Your feedback (optional)",
            },
        ],
        "actions": [{"type": "Action.Submit", "title": "Submit"}],
    }
    info = TaskModuleTaskInfo(title="Feedback", card=CardFactory.adaptive_card(card))
    return TaskModuleResponse(task=TaskModuleContinueResponse(value=info))


def _bad_request(message: str) -> InvokeResponse:
    """A 400 invoke response with the Bot Framework's error body, saying what is wrong."""
    body = ErrorResponse(error=Error(code="BadArgument", message=message))
    return InvokeResponse(status=HTTPStatus.BAD_REQUEST, body=body)
