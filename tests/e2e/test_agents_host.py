"""The Agents SDK host (agents_host/) in front of the Microsoft 365 Agents Playground as Teams.

The same checks as the botbuilder bot's personal chat (test_teams.py): the chat pane shows one bubble
that only grows, and the host's sends keep to the stream protocol at Teams' pace.
"""

from __future__ import annotations

import pytest

from tests.e2e.expect import check_personal_chat_stream
from tests.e2e.playground import Playground

pytestmark = pytest.mark.e2e


async def test_the_agents_sdk_host_streams_a_personal_chat_answer_into_one_bubble(
    agents_host_playground: Playground,
) -> None:
    await check_personal_chat_stream(agents_host_playground)
