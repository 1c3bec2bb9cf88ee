"""What the user reads when an answer is not simply the model's text: status lines and notes."""

from __future__ import annotations

from llm import ModelError

from .markdown import closing_fence
from .outcome import StopReason

DEFAULT_INFORMATIVE_TEXT = "Thinking…"
INFORMATIVE_TEXT_LIMIT = 1000  # Teams rejects longer informative updates.
REASONING_TEXT = "Reasoning…"
"""The informative line while a reasoning model reasons; keep-alives add the seconds so far."""

EMPTY_ANSWER_TEXT = "_(The model returned an empty answer.)_"
GENERIC_FAILURE_NOTE = "_(Something went wrong while answering. Please try again.)_"
INTERRUPTED_NOTE = "_(The answer was interrupted.)_"
WITHHELD_NOTE = "_(The rest of this answer was withheld by the content filter.)_"

STOP_NOTES: dict[StopReason, str] = {
    StopReason.STOP_COMMAND: "_(Stopped.)_",
    StopReason.NEW_MESSAGE: "_(Interrupted by your new message.)_",
    StopReason.SHUTDOWN: "_(The bot is restarting, so the answer stops here. Please ask again shortly.)_",
    StopReason.MODEL_SILENT: "_(The model stopped responding, so the answer ends here. Please try again.)_",
    StopReason.CONTENT_FILTERED: WITHHELD_NOTE,
    StopReason.LEASE_LOST: (
        "_(I can't reach my memory of our conversation right now, so the answer stops here. "
        "Please try again in a minute.)_"
    ),
}
RESTARTED_NOTE = "_(The bot restarted while answering, so the answer stops here. Please ask again.)_"
"""The note under an answer that another instance finished after the one answering stopped."""
CUT_OFF_NOTES: dict[str, str] = {
    "length": "_(The answer was cut off: it reached the model's length limit.)_",
    "content_filter": "_(The answer was cut off by the model provider's content filter.)_",
}
CUT_OFF_NOTE = "_(The answer was cut off by the model.)_"
"""The note for a cut-off whose finish reason has no note of its own."""


def failure_note(error: BaseException) -> str:
    """A short note for the user about why the answer ended early; never a trace."""
    if isinstance(error, ModelError):
        return f"_(The answer ended early: {error}. Please try again.)_"
    return GENERIC_FAILURE_NOTE


def with_note(text: str, note: str | None) -> str:
    """`text` and then `note`, outside any code fence that `text` was cut off in."""
    if not note:
        return text
    return f"{text}{closing_fence(text)}\n\n{note}" if text else note
