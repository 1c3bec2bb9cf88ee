"""What the end-to-end tests expect, shared by the scenario modules."""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from knowledge.knowledge_tool import KnowledgeTool
from llm.offline_model import offline_answer
from tests.e2e.conftest import SENSITIVITY_LABEL
from tests.e2e.playground import (
    TO_BOT,
    ConversationStream,
    Frame,
    Playground,
    Turn,
    error_exchanges,
    http_post_json,
    in_conversation,
    stream_info,
)
from tests.support.connector import message_entities, stream_channel_data, web_chat_fields
from tests.support.stored_feedback import stored_feedback

#: How long one answer may take to arrive completely (it takes about four seconds).
REPLY_LIMIT = 60.0

#: The Message entity on every model answer's final message: the AI label and the sensitivity label.
AI_ENTITY = {
    "type": "https://schema.org/Message",
    "@type": "Message",
    "@context": "https://schema.org",
    "@id": "",
    "additionalType": ["AIGeneratedContent"],
    "usageInfo": {"@type": "CreativeWork", "name": SENSITIVITY_LABEL[0], "description": SENSITIVITY_LABEL[1]},
}


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


async def check_personal_chat_stream(pg: Playground) -> None:
    """A Teams 1:1 chat: "Thinking…", then one bubble whose text only grows, then the whole answer;
    the bot's sends keep to the stream protocol at Teams' pace."""
    marker = new_marker("personal")
    question = f"Hello bot ({marker}), what can you do?"

    async with pg.conversation_stream() as stream:
        reply = await pg.post_and_wait(stream, pg.personal_chat_id, question, limit=REPLY_LIMIT)
    turn = pg.turn(pg.personal_chat_id, marker)

    # The chat pane: one createMessage with the informative text ...
    assert reply.actions[0] == "createMessage", reply.actions
    assert reply.stream_types[0] == "informative", reply.stream_types
    assert reply.texts[0].strip(), "the informative start must carry text"
    assert [f["message"]["messageId"] for f in bot_frames(stream, pg.personal_chat_id)].count(
        reply.message_id
    ) == len(reply.frames), "another bot bubble appeared during the answer"
    # ... then updateMessage frames on the same message whose text only grows ...
    assert set(reply.actions[1:]) == {"updateMessage"}, reply.actions
    streamed = [t for t, kind in zip(reply.texts, reply.stream_types, strict=True) if kind == "streaming"]
    assert len(streamed) >= 2, f"expected several streaming updates, got {reply.stream_types}"
    assert streamed[0].strip()
    assert_only_grows([*streamed, reply.text])
    # ... then the final text, equal to the model's full answer.
    assert reply.stream_types[-1] == "final", reply.stream_types
    assert reply.text == full_answer(question)

    # What the bot sent: an informative start (201 with the stream id), updates numbered
    # 2, 3, ... at Teams' pace, one final message without a sequence number.
    assert_success(turn)
    sent = turn.sent
    assert [a["type"] for a in sent] == ["typing"] * (len(sent) - 1) + ["message"], sent
    infos = [stream_info(a) for a in sent]
    assert infos[0] == {"type": "streaminfo", "streamType": "informative", "streamSequence": 1}
    assert turn.statuses[0] == 201
    stream_id = turn.calls[0]["response"]["body"]["id"]
    assert stream_id == reply.message_id
    updates = infos[1:-1]
    assert [u["streamSequence"] for u in updates] == list(range(2, 2 + len(updates)))
    assert all(u["streamId"] == stream_id for u in updates)
    assert infos[-1] == {"type": "streaminfo", "streamId": stream_id, "streamType": "final"}
    assert sent[-1]["text"] == reply.text
    for activity in sent:  # Web Chat reads the same fields from channelData (see web_chat_fields)
        assert stream_channel_data(activity) == web_chat_fields(stream_info(activity)), activity
    assert all(gap >= 0.99 for gap in gaps(turn.calls)), f"faster than one send a second: {gaps(turn.calls)}"
    assert error_exchanges(pg.recording()) == []


def assert_marked(sent: dict[str, Any], shown: dict[str, Any]) -> None:
    """The bot sent one Message entity and asked for feedback; the chat pane got both."""
    assert message_entities(sent) == [AI_ENTITY], sent
    assert sent["channelData"]["feedbackLoop"] == {"type": "default"}
    assert shown["aiEntity"]["additionalType"] == ["AIGeneratedContent"], shown
    assert shown["aiEntity"]["usageInfo"]["name"] == SENSITIVITY_LABEL[0]
    assert shown["feedbackLoopEnabled"] is True


async def check_labelled_personal_answer(pg: Playground) -> None:
    """A Teams 1:1 chat answer's final carries the AI label, the sensitivity label and the feedback
    buttons, which the Playground accepts and hands to its chat pane; its updates carry none."""
    marker = new_marker("ai-personal")
    question = f"Label this answer ({marker})"

    async with pg.conversation_stream() as stream:
        reply = await pg.post_and_wait(stream, pg.personal_chat_id, question, limit=REPLY_LIMIT)
    turn = pg.turn(pg.personal_chat_id, marker)

    assert reply.text == full_answer(question)
    assert_success(turn)
    *updates, final = turn.sent
    assert_marked(final, reply.final)
    # Only the final carries them: while streaming, the Playground shows a progress bar.
    assert all(
        not message_entities(update) and "feedbackLoop" not in update["channelData"] for update in updates
    )
    assert not any(
        "aiEntity" in frame["message"] and frame["message"]["aiEntity"] for frame in reply.frames[:-1]
    )
    assert error_exchanges(pg.recording()) == []


def check_feedback_click_is_stored(pg: Playground, state_file: Path) -> None:
    """The Playground's feedback form posts the raw text and no replyToId; the bot answers 200
    (any 2xx shows "Thank you!") and keeps the rating in its state storage, `state_file`."""
    text = f"Clear and to the point ({new_marker('feedback')})"
    payload = {
        "name": "message/submitAction",
        "from": {"id": pg.user_id},
        "conversation": {"id": pg.personal_chat_id},
        "value": {"actionName": "feedback", "actionValue": {"reaction": "like", "feedback": text}},
    }
    status, _body = http_post_json(f"{pg.base_url}/_conversation/v1/invoke", payload)

    assert status == 200
    [sent] = [
        b for b in pg.recording() if b.get("direction") == TO_BOT and text in str(b["request"].get("body"))
    ]
    assert (sent["request"]["body"]["type"], sent["response"]["statusCode"]) == ("invoke", 200)
    [item] = [
        item for item in stored_feedback(state_file, pg.personal_chat_id).values() if item["text"] == text
    ]
    assert (item["reaction"], item["user_id"], item["answer_id"]) == ("like", pg.user_id, None)
    assert error_exchanges(pg.recording()) == []


async def check_cited_knowledge_answer(pg: Playground) -> None:
    """The offline model searches the knowledge base (the bubble says so while it does), then streams
    the passages found with their [n] markers; the final carries them as citations the Playground
    takes, with the AI label and the feedback buttons."""
    marker = new_marker("knowledge")
    question = f"What does a hotel in Paris cost ({marker})?"

    async with pg.conversation_stream() as stream:
        reply = await pg.post_and_wait(stream, pg.personal_chat_id, question, limit=REPLY_LIMIT)
    turn = pg.turn(pg.personal_chat_id, marker)

    assert_success(turn)
    statuses = [
        text for text, kind in zip(reply.texts, reply.stream_types, strict=True) if kind == "informative"
    ]
    assert KnowledgeTool.status in statuses, reply.texts
    kinds = reply.stream_types
    assert kinds.index("final") > max(i for i, kind in enumerate(kinds) if kind == "informative")
    assert reply.text.startswith("**No language model is configured**")
    assert (
        "**Travel policy: Hotels**: Hotels cost at most 180 euros a night, 250 in Paris and London."
        in reply.text
    )
    final = turn.sent[-1]
    [entity] = message_entities(final)
    claims = entity["citation"]
    assert {claim["position"] for claim in claims} == {int(n) for n in re.findall(r"\[(\d+)\]", reply.text)}
    assert claims[0]["appearance"]["name"] == "Travel policy: Hotels"
    assert all(claim["appearance"]["abstract"] for claim in claims)
    assert {key: value for key, value in entity.items() if key != "citation"} == AI_ENTITY
    assert final["channelData"]["feedbackLoop"] == {"type": "default"}
    shown = reply.final
    assert (
        shown["aiEntity"]["additionalType"] == ["AIGeneratedContent"] and shown["feedbackLoopEnabled"] is True
    )
    assert [claim["position"] for claim in shown["aiEntity"]["citation"]] == [
        claim["position"] for claim in claims
    ]
    assert error_exchanges(pg.recording()) == []
