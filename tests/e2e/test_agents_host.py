"""The Agents SDK host (agents_host/) in front of the Microsoft 365 Agents Playground as Teams.

The same checks as the botbuilder bot's personal chat (test_teams.py): the chat pane shows one bubble
that only grows, and the host's sends keep to the stream protocol at Teams' pace; and as its AI
features (test_ai_features.py): the labels and the feedback buttons on the answer, which the
Playground validates strictly, a knowledge question's search and cited answer, and a feedback
click reaching the host and stored.
"""

from __future__ import annotations

import pytest

from tests.e2e.expect import (
    check_cited_knowledge_answer,
    check_feedback_click_is_stored,
    check_labelled_personal_answer,
    check_personal_chat_stream,
)
from tests.e2e.playground import Playground
from tests.support.bot_process import BotProcess

pytestmark = pytest.mark.e2e


async def test_the_agents_sdk_host_streams_a_personal_chat_answer_into_one_bubble(
    agents_host_playground: Playground,
) -> None:
    await check_personal_chat_stream(agents_host_playground)


async def test_the_agents_sdk_hosts_answer_is_labelled_and_offers_feedback(
    agents_host_playground: Playground,
) -> None:
    await check_labelled_personal_answer(agents_host_playground)


async def test_the_agents_sdk_host_shows_the_search_then_a_cited_labelled_answer(
    agents_host_playground: Playground,
) -> None:
    await check_cited_knowledge_answer(agents_host_playground)


async def test_a_feedback_click_reaches_the_agents_sdk_host_and_is_stored(
    agents_host_playground: Playground, agents_host: BotProcess
) -> None:
    check_feedback_click_is_stored(agents_host_playground, agents_host.sqlite_path)
