"""Issue 14, test 1: one Teams chat whose messages the balancer spreads over three instances.

Each message lands on another instance than the one before (HAProxy's round-robin, proved by the
instance it names in each response and in its log, and by each instance's own answer lines). The
user sees one answer per question, streams never overlap, and the history that the instances share
in Redis holds every question and answer exactly once, in order.
"""

from __future__ import annotations

import itertools
from typing import Any

from tests.instances.conftest import StartInstances
from tests.support.connector import RecordingConnector, is_final
from tests.support.model_server import ModelServer

QUESTIONS = 4  # over three instances: bot1, bot2, bot3, bot1
CONVERSATION_ID = "conv-across-instances"


def answer_to(messages: list[dict[str, Any]]) -> list[str]:
    """The model answers each question with its own words, slowly enough (see `token_delay`) that
    each answer is still being written when the channel's pace lets its stream open."""
    return ["Answer", " to", " question", f" {messages[-1]['content'].removeprefix('question ')}"]


async def test_a_chats_messages_alternate_between_instances_and_each_turn_is_kept_once(
    start_instances: StartInstances, connector: RecordingConnector, model_server: ModelServer
) -> None:
    model_server.answer_with = answer_to
    model_server.token_delay = 0.4
    bots = await start_instances()

    took = []
    for number in range(QUESTIONS):
        delivery = await bots.say(f"question {number}", CONVERSATION_ID)
        assert delivery.status == 201, delivery
        took.append(delivery.instance)
        await connector.wait_for_answers(number + 1)

    assert all(one != next_one for one, next_one in itertools.pairwise(took)), took
    assert sorted(set(took)) == ["bot1", "bot2", "bot3"]
    assert await bots.served_by() == took  # the balancer's own log agrees

    assert connector.bubbles() == [f"Answer to question {number}" for number in range(QUESTIONS)]
    history = await bots.stored_history(CONVERSATION_ID, entries=2 * QUESTIONS)
    assert history == [
        entry
        for number in range(QUESTIONS)
        for entry in (
            {"role": "user", "content": f"question {number}"},
            {"role": "assistant", "content": f"Answer to question {number}", "outcome": "complete"},
        )
    ]
    # Each instance answered the questions it took (it logs each answer before saving its history)...
    for name in ("bot1", "bot2", "bot3"):
        assert bots.log(name).count("answer complete:") == took.count(name), name
    # ...with the whole history so far in its model request, whoever wrote it.
    assert [len(request.body["messages"]) for request in model_server.requests] == [
        2 + 2 * number for number in range(QUESTIONS)
    ]
    # Every answer streamed, one stream at a time in the chat, and the channel's pace kept between
    # streams of different instances: never throttled.
    assert sum(map(is_final, connector.accepted())) == QUESTIONS
    assert connector.overlapping_streams() == []
    assert connector.throttled() == []
