"""Teams' AI features as the Playground (``-c msteams``) takes them: the AI label, the sensitivity
label and the feedback buttons on every model answer, and a feedback click reaching the bot.

The Playground validates the schema.org Message entity strictly (a bad one is answered 400, which
``error_exchanges`` would list) and hands its chat pane ``aiEntity`` and ``feedbackLoopEnabled``,
from which it draws the label and the thumbs (``test_browser.py`` sees them drawn). A feedback
click is driven through its ``POST /_conversation/v1/invoke``, as its page posts it.
"""

from __future__ import annotations

import pytest

from tests.e2e.expect import (
    REPLY_LIMIT,
    assert_marked,
    assert_success,
    check_cited_knowledge_answer,
    check_feedback_click_is_stored,
    check_labelled_personal_answer,
    group_answer,
    new_marker,
)
from tests.e2e.playground import Playground, error_exchanges
from tests.support.bot_process import BotProcess

pytestmark = pytest.mark.e2e


async def test_a_personal_chat_answer_is_labelled_and_offers_feedback(teams_playground: Playground) -> None:
    await check_labelled_personal_answer(teams_playground)


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
    await check_cited_knowledge_answer(teams_playground)


async def test_a_command_reply_is_not_labelled(teams_playground: Playground) -> None:
    pg = teams_playground
    async with pg.conversation_stream() as stream:
        reply = await pg.post_and_wait(stream, pg.personal_chat_id, "help", limit=REPLY_LIMIT)
    assert "help" in reply.text.lower()
    assert not reply.final.get("aiEntity") and not reply.final.get("feedbackLoopEnabled")


async def test_a_feedback_click_reaches_the_bot_and_is_stored(
    teams_playground: Playground, bot: BotProcess
) -> None:
    check_feedback_click_is_stored(teams_playground, bot.sqlite_path)
