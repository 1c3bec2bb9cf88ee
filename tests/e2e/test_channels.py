"""Other channels and delivery modes, each as streaming-protocol.md says it must be served.

The Playground's ``-c emulator`` and ``-c webchat`` send those channel ids to the bot (its UI
stays Teams-like, and it validates stream info the Teams way); ``--delivery-mode
expectReplies`` shows the activities of the bot's HTTP response.
"""

from __future__ import annotations

import pytest

from tests.e2e.expect import (
    REPLY_LIMIT,
    assert_only_grows,
    assert_success,
    full_answer,
    gaps,
    new_marker,
    stream_fields,
)
from tests.e2e.playground import Playground, error_exchanges, stream_info
from tests.support.connector import stream_channel_data, web_chat_fields

pytestmark = pytest.mark.e2e


async def test_emulator_gets_typing_then_one_complete_message(emulator_playground: Playground) -> None:
    """Emulator: its Web Chat drops typing text and never shows updates, so the bot shows
    typing while it works and then sends the whole answer as one message."""
    pg = emulator_playground
    marker = new_marker("emulator")
    question = f"Hello from the Emulator ({marker})"

    async with pg.conversation_stream() as stream:
        reply = await pg.post_and_wait(stream, pg.personal_chat_id, question, limit=REPLY_LIMIT)
    turn = pg.turn(pg.personal_chat_id, marker)

    assert reply.typing >= 1, "no typing indicator before the answer"
    assert reply.actions == ["createMessage"], reply.actions
    assert reply.final.get("streamEntity") is None
    assert reply.text == full_answer(question)

    assert_success(turn)
    # The SDK's dialog-state trace is for the Emulator's inspector, not the chat.
    shown = [a for a in turn.sent if a["type"] != "trace"]
    assert [a["type"] for a in shown] == ["typing"] * (len(shown) - 1) + ["message"], shown
    assert all(stream_info(a) is None and not a.get("text") for a in shown[:-1]), shown
    assert stream_info(shown[-1]) is None
    assert not (shown[-1].get("channelData") or {}).get("streamType")
    assert shown[-1]["text"] == reply.text
    assert error_exchanges(pg.recording()) == []


async def test_webchat_streams_with_stream_info_in_channel_data(webchat_playground: Playground) -> None:
    """Web Chat: the stream protocol at its faster pace, with the stream fields in channelData
    (where Web Chat 4.18 reads them; a start without its sequence number) as well as in the entity,
    and a final with string text."""
    pg = webchat_playground
    marker = new_marker("webchat")
    question = f"Hello from Web Chat ({marker})"

    async with pg.conversation_stream() as stream:
        reply = await pg.post_and_wait(stream, pg.personal_chat_id, question, limit=REPLY_LIMIT)
    turn = pg.turn(pg.personal_chat_id, marker)

    assert reply.actions[0] == "createMessage" and set(reply.actions[1:]) == {"updateMessage"}
    streamed = [t for t, kind in zip(reply.texts, reply.stream_types, strict=True) if kind == "streaming"]
    assert len(streamed) >= 2, reply.stream_types
    assert_only_grows([*streamed, reply.text])
    assert reply.stream_types[-1] == "final"
    assert reply.text == full_answer(question)

    assert_success(turn)
    sent = turn.sent
    assert [a["type"] for a in sent] == ["typing"] * (len(sent) - 1) + ["message"], sent
    stream_id = turn.calls[0]["response"]["body"]["id"]
    fields = [stream_fields(a) for a in sent]
    assert fields[0] == {"streamType": "informative", "streamSequence": 1}
    assert sent[0]["text"].strip()
    assert [f["streamSequence"] for f in fields[1:-1]] == list(range(2, len(sent)))
    assert all(f["streamId"] == stream_id for f in fields[1:-1])
    # The offline model searches the knowledge base first: its status is informative, before any text.
    kinds = [f["streamType"] for f in fields[1:-1]]
    assert kinds == sorted(kinds, key=["informative", "streaming"].index) and "streaming" in kinds, kinds
    assert fields[-1] == {"streamId": stream_id, "streamType": "final"}
    for activity in sent:
        # The same fields as the entity, but a start has no streamSequence there (see web_chat_fields).
        assert stream_channel_data(activity) == web_chat_fields(stream_info(activity)), activity
    assert isinstance(sent[-1]["text"], str) and sent[-1]["text"] == reply.text
    # One update every 0.5 s (WEBCHAT_STREAM_INTERVAL), counted from the end of the last send.
    assert all(gap >= 0.49 for gap in gaps(turn.calls)), gaps(turn.calls)
    assert error_exchanges(pg.recording()) == []


async def test_expect_replies_gets_the_whole_answer_in_the_http_response(
    expect_replies_playground: Playground,
) -> None:
    """``deliveryMode: expectReplies``: no stream, no connector calls; the HTTP response holds
    the complete answer as one message."""
    pg = expect_replies_playground
    marker = new_marker("expect-replies")
    question = f"Answer in the response ({marker})"

    async with pg.conversation_stream() as stream:
        reply = await pg.post_and_wait(stream, pg.personal_chat_id, question, limit=REPLY_LIMIT)
    turn = pg.turn(pg.personal_chat_id, marker)

    assert turn.request["deliveryMode"] == "expectReplies"
    assert turn.response.get("statusCode") == 200, turn.response
    activities = (turn.response.get("body") or {}).get("activities")
    assert [a["type"] for a in activities] == ["message"], activities
    assert activities[0]["text"] == full_answer(question)
    assert stream_info(activities[0]) is None
    assert turn.calls == [], "the bot called the connector during an expectReplies turn"

    assert reply.actions == ["createMessage"], reply.actions
    assert reply.final.get("streamEntity") is None
    assert reply.text == full_answer(question)
    assert error_exchanges(pg.recording()) == []
