"""What the end-to-end tests expect, shared by the scenario modules."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from llm.offline_model import offline_answer
from tests.e2e.playground import ConversationStream, Frame, Turn, in_conversation, stream_info

#: How long one answer may take to arrive completely (it takes about four seconds).
REPLY_LIMIT = 60.0


def new_marker(label: str) -> str:
    """A marker unique to one test message (chat history outlives a test)."""
    return f"{label}-{uuid.uuid4().hex[:8]}"


def full_answer(question: str) -> str:
    """The offline model's whole answer to ``question``: what the user must end up seeing."""
    return offline_answer(question)


def group_answer(question: str, sender: str) -> str:
    """The whole answer to ``question`` sent in a group chat as ``"<at>Bot</at> <question>"``.

    The bot removes its own mention and tells the model who asked ("Name: question").
    """
    return offline_answer(f"{sender}: {question}")


def assert_only_grows(texts: Sequence[str]) -> None:
    """Each text starts with the one before it: what was shown is never taken back."""
    for previous, current in itertools.pairwise(texts):
        assert current.startswith(previous), f"text shrank or changed:\n{previous!r}\n->\n{current!r}"


def bot_frames(stream: ConversationStream, conversation_id: str) -> list[Frame]:
    """Every create/update frame the bot caused in a conversation since the stream opened."""
    return [
        f
        for f in stream.frames
        if f.get("action") in ("createMessage", "updateMessage")
        and in_conversation(f, conversation_id)
        and f.get("message", {}).get("from", {}).get("id") == stream.bot_id
    ]


def stream_fields(activity: dict[str, Any]) -> dict[str, Any] | None:
    """The ``streaminfo`` entity without its ``type``."""
    info = stream_info(activity)
    return None if info is None else {k: v for k, v in info.items() if k != "type"}


def assert_success(turn: Turn) -> None:
    """The Playground answered every connector call of the turn with 2xx."""
    bad = [
        (c["request"]["body"].get("type"), c["response"].get("statusCode"), c["response"].get("body"))
        for c in turn.calls
        if not 200 <= int(c["response"].get("statusCode") or 0) < 300
    ]
    assert not bad, f"connector calls answered with an error: {bad}"


def gaps(calls: Iterable[dict[str, Any]]) -> list[float]:
    """Seconds between consecutive recorded calls (by the Playground's arrival timestamps)."""
    stamps = [c["timestamp"] / 1000 for c in calls]
    return [round(b - a, 3) for a, b in itertools.pairwise(stamps)]
