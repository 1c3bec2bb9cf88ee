"""What a feedback invoke says: which answer a user rated, how, and what they wrote; where it is kept.

A click arrives as `invoke` `message/submitAction` with `value: {"actionName": "feedback",
"actionValue": {"reaction": "like" | "dislike", "feedback": ...}}`. Teams sends `feedback` as a
JSON string of its form's fields (`{"feedbackText": "..."}`) and the rated message's id as
`replyToId`; the Microsoft 365 Agents Playground sends the raw text and no `replyToId`: both are read.

SDK-free: botbuilder's and the Agents SDK's activities have the same attribute names for all this.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, cast

SUBMIT_ACTION = "message/submitAction"
FETCH_TASK = "message/fetchTask"
FEEDBACK_ACTION = "feedback"
FEEDBACK_TEXT_FIELD = "feedbackText"  # Teams' default form's field, and the custom form's
REACTIONS = ("like", "dislike")

Reaction = Literal["like", "dislike"]


class _Sender(Protocol):
    @property
    def id(self) -> str | None: ...
    @property
    def aad_object_id(self) -> str | None: ...


class _Conversation(Protocol):
    @property
    def id(self) -> str | None: ...


class FeedbackActivity(Protocol):
    """The parts of an invoke activity (of either SDK) that a rating is read from."""

    @property
    def name(self) -> str | None: ...
    @property
    def value(self) -> Any: ...
    @property
    def reply_to_id(self) -> str | None: ...
    @property
    def channel_id(self) -> object: ...
    @property
    def conversation(self) -> _Conversation | None: ...
    @property
    def from_property(self) -> _Sender | None: ...


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


def is_feedback(activity: FeedbackActivity) -> bool:
    """Whether `activity` is a feedback invoke: a submit action whose action is "feedback", or
    one too malformed to have an action name (which can only be answered 400)."""
    if activity.name != SUBMIT_ACTION:
        return False
    value = activity.value
    return not isinstance(value, dict) or value.get("actionName", FEEDBACK_ACTION) == FEEDBACK_ACTION


def read_feedback(activity: FeedbackActivity, given_at: datetime) -> Feedback:
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


def feedback_key(activity: FeedbackActivity, feedback: Feedback) -> str:
    """Where one feedback is stored: under its conversation, by the rated answer and the user (the
    latest rating counts), or by a new id when the client does not say which answer."""
    conversation_id = activity.conversation.id if activity.conversation else ""
    conversation = f"{activity.channel_id}/conversations/{conversation_id}/feedback"
    if feedback.answer_id:
        return f"{conversation}/{feedback.answer_id}/{feedback.user_id or 'unknown-user'}"
    return f"{conversation}/{uuid.uuid4().hex}"


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
