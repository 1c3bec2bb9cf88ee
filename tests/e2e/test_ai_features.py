"""Teams' AI features as the Playground (``-c msteams``) takes them: the AI label, the sensitivity
label and the feedback buttons on every model answer, and a feedback click reaching the bot.

The Playground validates the schema.org Message entity strictly (a bad one is answered 400, which
``error_exchanges`` would list) and hands its chat pane ``aiEntity`` and ``feedbackLoopEnabled``,
from which it draws the label and the thumbs (``test_browser.py`` sees them drawn). A feedback
click is driven through its ``POST /_conversation/v1/invoke``, as its page posts it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import SENSITIVITY_LABEL
from tests.e2e.expect import REPLY_LIMIT, assert_success, full_answer, group_answer, new_marker
from tests.e2e.playground import TO_BOT, Playground, error_exchanges, http_post_json
from tests.support.bot_process import BotProcess
from tests.support.connector import message_entities
from tests.support.stored_feedback import stored_feedback

pytestmark = pytest.mark.e2e

AI_ENTITY = {
    "type": "https://schema.org/Message",
    "@type": "Message",
    "@context": "https://schema.org",
    "@id": "",
    "additionalType": ["AIGeneratedContent"],
    "usageInfo": {"@type": "CreativeWork", "name": SENSITIVITY_LABEL[0], "description": SENSITIVITY_LABEL[1]},
}


def assert_marked(sent: dict[str, Any], shown: dict[str, Any]) -> None:
    """The bot sent one Message entity and asked for feedback; the chat pane got both."""
    assert message_entities(sent) == [AI_ENTITY], sent
    assert sent["channelData"]["feedbackLoop"] == {"type": "default"}
    assert shown["aiEntity"]["additionalType"] == ["AIGeneratedContent"], shown
    assert shown["aiEntity"]["usageInfo"]["name"] == SENSITIVITY_LABEL[0]
    assert shown["feedbackLoopEnabled"] is True


async def test_a_personal_chat_answer_is_labelled_and_offers_feedback(teams_playground: Playground) -> None:
    pg = teams_playground
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


async def test_a_group_chat_answer_is_labelled_and_offers_feedback(teams_playground: Playground) -> None:
    pg = teams_playground
    chat = pg.group_chat_ids[0]
    marker = new_marker("ai-group")
    question = f"Label this one too ({marker})"

    async with pg.conversation_stream() as stream:
        reply = await pg.post_and_wait(stream, chat, question, mention_bot=True, limit=REPLY_LIMIT)
    turn = pg.turn(chat, marker)

    assert reply.text == group_answer(question, pg.user_name)
    assert_success(turn)
    assert_marked(turn.sent[-1], reply.final)
    assert error_exchanges(pg.recording()) == []


async def test_a_command_reply_is_not_labelled(teams_playground: Playground) -> None:
    pg = teams_playground
    async with pg.conversation_stream() as stream:
        reply = await pg.post_and_wait(stream, pg.personal_chat_id, "help", limit=REPLY_LIMIT)
    assert "help" in reply.text.lower()
    assert not reply.final.get("aiEntity") and not reply.final.get("feedbackLoopEnabled")


async def test_a_feedback_click_reaches_the_bot_and_is_stored(
    teams_playground: Playground, bot: BotProcess
) -> None:
    """The Playground's feedback form posts the raw text and no replyToId; the bot answers 200
    (any 2xx shows "Thank you!") and keeps the rating in its state storage."""
    pg = teams_playground
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
        item
        for item in stored_feedback(bot.sqlite_path, pg.personal_chat_id).values()
        if item["text"] == text
    ]
    assert (item["reaction"], item["user_id"], item["answer_id"]) == ("like", pg.user_id, None)
    assert error_exchanges(pg.recording()) == []
