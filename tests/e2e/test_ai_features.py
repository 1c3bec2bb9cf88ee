"""Teams' AI features as the Playground (``-c msteams``) takes them: the AI label, the sensitivity
label and the feedback buttons on every model answer, and a feedback click reaching the bot.

The Playground validates the schema.org Message entity strictly (a bad one is answered 400, which
``error_exchanges`` would list) and hands its chat pane ``aiEntity`` and ``feedbackLoopEnabled``,
from which it draws the label and the thumbs (``test_browser.py`` sees them drawn). A feedback
click is driven through its ``POST /_conversation/v1/invoke``, as its page posts it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from knowledge.knowledge_tool import KnowledgeTool
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


async def test_a_knowledge_question_shows_the_search_then_a_cited_labelled_answer(
    teams_playground: Playground,
) -> None:
    """The offline model searches the knowledge base (the bubble says so while it does), then streams
    the passages found with their [n] markers; the final carries them as citations the Playground
    takes, with the AI label and the feedback buttons."""
    pg = teams_playground
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
