"""The body of `POST /api/notify`, read strictly: every wrong shape is refused with the reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from streaming.markdown import utf16_length

from .notification import Notification

FIELDS = ("all", "conversations", "prompt", "text")


class BadNotifyRequest(ValueError):
    """A notification request the bot refuses (400); the message says what is wrong with it."""


@dataclass(frozen=True)
class NotifyRequest:
    """Where to send (`conversations` by id; None: every stored conversation) and what."""

    notification: Notification
    conversations: tuple[str, ...] | None


def read_notify_request(body: object, *, max_text_utf16: int, max_prompt_chars: int) -> NotifyRequest:
    """The request `body` (parsed JSON) makes; raises `BadNotifyRequest`.

    `text` must fit in one message (`max_text_utf16`, as channels count); `prompt` is held to
    the length allowed of a user's message (`max_prompt_chars`).
    """
    if not isinstance(body, dict):
        raise BadNotifyRequest("The body must be a JSON object.")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise BadNotifyRequest(f"Unknown fields: {', '.join(unknown)} (allowed: {', '.join(FIELDS)}).")
    return NotifyRequest(
        _notification(body, max_text_utf16, max_prompt_chars),
        _conversations(body),
    )


def _conversations(body: dict[str, object]) -> tuple[str, ...] | None:
    if "conversations" in body and "all" in body:
        raise BadNotifyRequest('Give either "conversations" or "all", not both.')
    if "all" in body:
        if body["all"] is not True:
            raise BadNotifyRequest('"all" must be true (or name the conversations in "conversations").')
        return None
    if "conversations" not in body:
        raise BadNotifyRequest('Say where to send: "conversations": [ids], or "all": true.')
    ids = body["conversations"]
    if not isinstance(ids, list) or not ids:
        raise BadNotifyRequest('"conversations" must be a non-empty list of conversation ids.')
    if not all(isinstance(item, str) and item for item in ids):
        raise BadNotifyRequest('Each of "conversations" must be a conversation id: a non-empty string.')
    repeated = sorted(item for item, count in Counter(ids).items() if count > 1)
    if repeated:
        raise BadNotifyRequest(f'"conversations" names {", ".join(repeated)} more than once.')
    return tuple(ids)


def _notification(body: dict[str, object], max_text_utf16: int, max_prompt_chars: int) -> Notification:
    if ("text" in body) == ("prompt" in body):
        raise BadNotifyRequest('Give either "text" (sent as it is) or "prompt" (the model answers it).')
    field = "text" if "text" in body else "prompt"
    value = body[field]
    if not isinstance(value, str) or not value.strip():
        raise BadNotifyRequest(f'"{field}" must be a non-empty string.')
    if field == "text":
        if utf16_length(value) > max_text_utf16:
            raise BadNotifyRequest(
                f'"text" is longer than one message may be ({max_text_utf16} UTF-16 units).'
            )
        return Notification(text=value)
    if len(value) > max_prompt_chars:
        raise BadNotifyRequest(f'"prompt" is longer than {max_prompt_chars} characters.')
    return Notification(prompt=value.strip())
