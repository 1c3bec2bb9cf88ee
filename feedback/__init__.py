"""Users' ratings of answers (the feedback buttons under them), with no SDK: what a feedback invoke
says (`ratings`), storing and counting it (`recorder`), and the custom feedback form (`form`).

Each host answers the invokes with its own SDK's invoke response: `bots/feedback.py` on botbuilder,
`agents_host/feedback.py` on the Agents SDK; both store ratings in the same rows.
"""

from .form import FORM_QUESTIONS, FORM_TITLE, feedback_form_card
from .ratings import (
    FETCH_TASK,
    SUBMIT_ACTION,
    Feedback,
    FeedbackActivity,
    MalformedFeedback,
    feedback_key,
    is_feedback,
    read_feedback,
)
from .recorder import FeedbackObserver, FeedbackRecorder, SaveDocuments

__all__ = [
    "FETCH_TASK",
    "FORM_QUESTIONS",
    "FORM_TITLE",
    "SUBMIT_ACTION",
    "Feedback",
    "FeedbackActivity",
    "FeedbackObserver",
    "FeedbackRecorder",
    "MalformedFeedback",
    "SaveDocuments",
    "feedback_form_card",
    "feedback_key",
    "is_feedback",
    "read_feedback",
]
