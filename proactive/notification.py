"""What a notification sends, and how a conversation's notification went."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

NotificationKind = Literal["text", "prompt"]
DeliveryStatus = Literal["sent", "failed", "removed"]

OPERATOR_REQUEST = "Notification requested by the bot's operator, not by anyone in this chat"
"""How a prompt reaches the model and the history: as a request in the chat that says whose it is,
so that later answers do not take it for something the user asked."""


@dataclass(frozen=True)
class Notification:
    """`text`, sent as it is (Markdown), or `prompt`, which the model answers in each conversation;
    exactly one of them is set."""

    text: str | None = None
    prompt: str | None = None

    def __post_init__(self) -> None:
        if (self.text is None) == (self.prompt is None):
            raise ValueError("a notification has either a text or a prompt")

    @property
    def kind(self) -> NotificationKind:
        return "text" if self.text is not None else "prompt"


def operator_question(prompt: str) -> str:
    """The question the model answers for a notification's `prompt`, as the history keeps it."""
    return f"{OPERATOR_REQUEST}: {prompt}"


@dataclass(frozen=True)
class Delivery:
    """How a notification went in one conversation: `sent`; `failed`, with the channel's reason
    (its HTTP status, if it answered); or `removed`: the channel said the bot is no longer there
    (403, 404), so the conversation was dropped. `outcome` is how a prompt's answer ended
    (`complete`, `interrupted` by a user's message, `stopped`…)."""

    status: DeliveryStatus
    reason: str | None = None
    http_status: int | None = None
    outcome: str | None = None
