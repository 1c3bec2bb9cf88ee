"""The custom feedback form (`FEEDBACK=custom`): the Adaptive Card Teams shows when it asks for it
with `message/fetchTask`, one question for the reaction and one text box. Each host wraps it in its
SDK's task module response."""

from __future__ import annotations

from typing import Any

from .ratings import FEEDBACK_TEXT_FIELD

FORM_TITLE = "Feedback"
FORM_QUESTIONS = {
    "like": "What did you like about this answer?",
    "dislike": "What went wrong with this answer?",
}
OTHER_QUESTION = "Tell us more about this answer."


def feedback_form_card(value: Any) -> dict[str, object]:
    """The form's Adaptive Card, asking about the reaction in the fetch invoke's `value`."""
    value = value if isinstance(value, dict) else {}
    action = value.get("actionValue") if isinstance(value.get("actionValue"), dict) else {}
    question = FORM_QUESTIONS.get(str(action.get("reaction")), OTHER_QUESTION)
    return {
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
