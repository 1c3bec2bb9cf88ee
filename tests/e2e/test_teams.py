"""Teams, as the Microsoft 365 Agents Playground (``-c msteams``) plays it.

Messages go in through the Playground's REST test API; what the chat pane shows comes out of
its conversation WebSocket; what the bot sent to the (mock) Bot Connector, and what the
Playground answered, comes out of its events recording and its log panel. No browser.
"""

from __future__ import annotations

import pytest

from tests.e2e.expect import (
    REPLY_LIMIT,
    assert_success,
    bot_frames,
    check_personal_chat_stream,
    group_answer,
    new_marker,
)
from tests.e2e.playground import TO_BOT, Playground, error_exchanges, stream_info

pytestmark = pytest.mark.e2e


async def test_personal_chat_streams_the_answer_into_one_bubble(teams_playground: Playground) -> None:
    """1:1 chat: "Thinking…", then one bubble whose text only grows, then the whole answer."""
    await check_personal_chat_stream(teams_playground)


async def test_group_chat_mention_gets_one_plain_message(teams_playground: Playground) -> None:
    """Group chat, bot @mentioned: a normal message (no stream), and no error in the log."""
    pg = teams_playground
    chat = pg.group_chat_ids[0]
    marker = new_marker("group")
    question = f"What is streaming ({marker})?"

    async with pg.log_stream() as log, pg.conversation_stream() as stream:
        reply = await pg.post_and_wait(stream, chat, question, mention_bot=True, limit=REPLY_LIMIT)
        turn = pg.turn(chat, marker)
        log_errors = [e for e in log.errors() if e.get("conversationId") in (None, chat)]

    assert reply.actions == ["createMessage"], reply.actions
    assert reply.final.get("streamEntity") is None, reply.final
    assert [f["message"]["messageId"] for f in bot_frames(stream, chat)] == [reply.message_id]
    assert reply.text == group_answer(question, pg.user_name)

    assert_success(turn)
    assert [a for a in turn.sent if stream_info(a)] == [], "the bot tried to stream in a group chat"
    assert [a["type"] for a in turn.sent if a["type"] != "typing"] == ["message"], turn.sent
    assert turn.sent[-1]["text"] == reply.text

    assert log_errors == [], f"the Playground's log shows errors: {log_errors}"
    error_lines = [line for line in pg.log_text().splitlines() if line.startswith(("error", "warn"))]
    assert error_lines == []
    assert error_exchanges(pg.recording()) == []


async def test_group_chat_message_without_mention_gets_no_reply(teams_playground: Playground) -> None:
    """Group chat, no @mention: the bot is not called and nothing answers the message.

    A mentioned message sent right after it is answered, so the bot was reachable all along;
    had the first message reached it, its answer (which quotes the question) would show up
    first or be recorded.
    """
    pg = teams_playground
    chat = pg.group_chat_ids[0]
    silent = new_marker("unmentioned")
    probe = new_marker("probe")

    async with pg.conversation_stream() as stream:
        pg.post_message(chat, f"Just chatting among people ({silent})")
        reply = await pg.post_and_wait(stream, chat, f"Are you there ({probe})?", mention_bot=True)
    pg.turn(chat, probe)

    assert probe in reply.text
    assert [f["message"]["messageId"] for f in bot_frames(stream, chat)] == [reply.message_id]
    assert not any(silent in str(f["message"].get("text")) for f in bot_frames(stream, chat))
    to_bot = [b for b in pg.recording() if b.get("direction") == TO_BOT]
    assert not any(silent in str((b["request"].get("body") or {}).get("text")) for b in to_bot)
    assert error_exchanges(pg.recording()) == []
