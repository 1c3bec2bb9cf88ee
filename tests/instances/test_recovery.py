"""An instance killed mid-answer (`kill -9`): another finishes its answer with what the user saw.

Three `python app.py` on one Redis behind HAProxy, with a short lease so that the test is quick.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from streaming.notes import RESTARTED_NOTE
from tests.instances.conftest import StartInstances
from tests.instances.conversations import saved_history, streams
from tests.support.connector import RecordingConnector
from tests.support.model_server import ModelServer
from tests.support.redis_servers import shared_redis_prefix

LEASE_SECONDS = 4.0
LEASES = {"CONVERSATION_LEASE_SECONDS": f"{LEASE_SECONDS:g}", "LEASE_HEARTBEAT_SECONDS": "1"}
QUESTION = "Tell me everything."
ANSWER = [f" word{number}" for number in range(100)]  # 20 s at the server's pace: killed long before
AFTERWARDS = ["Here", " I", " am", " again", ",", " and", " this", " answer", " streams", " too", "."]  # 2 s


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """The instances' key prefix on the shared Redis, so that the test can read their state."""
    with shared_redis_prefix() as prefix:
        yield prefix


def answers(messages: list[dict[str, Any]]) -> list[str]:
    return ANSWER if messages[-1]["content"] == QUESTION else AFTERWARDS


def updates_with_text(connector: RecordingConnector, conversation: str) -> int:
    return sum(
        1
        for stream in streams(connector, conversation)
        for item in (stream.start, *stream.updates)
        if (item.stream_info or {}).get("streamType") == "streaming"
    )


async def test_the_answer_of_a_killed_instance_ends_with_what_the_user_saw_and_a_note_within_the_lease(
    start_instances: StartInstances,
    connector: RecordingConnector,
    model_server: ModelServer,
    redis_prefix: str,
) -> None:
    model_server.token_delay = 0.2
    model_server.answer_with = answers
    bots = await start_instances({"REDIS_KEY_PREFIX": redis_prefix, **LEASES})
    conversation = "conv-killed"

    asked = await bots.say(QUESTION, conversation)
    assert asked.status == 201
    await connector.wait_until(lambda: updates_with_text(connector, conversation) >= 2)
    killed_at = time.monotonic()
    bots.kill(asked.instance)

    await connector.wait_until(lambda: streams(connector, conversation)[0].final is not None, within=20)
    (stream,) = streams(connector, conversation)
    assert stream.final is not None
    recovered_after = stream.final.received_at - killed_at
    print(f"\nthe killed instance's answer got its final {recovered_after:.2f} s after the kill")
    assert recovered_after <= LEASE_SECONDS + 2
    # What the user saw (or the update the killed instance was about to send), then the note.
    final_text = stream.final.activity["text"]
    assert final_text.startswith(stream.last_text)
    assert final_text.endswith(f"\n\n{RESTARTED_NOTE}")
    assert stream.last_text.startswith(ANSWER[0])
    assert stream.final.message_entity is not None  # the AI label, as on any answer's last message

    assert await saved_history(redis_prefix, conversation, 2) == [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": final_text, "outcome": "recovered"},
    ]


async def test_a_message_while_the_killed_instance_still_holds_the_conversation_waits_for_its_answer_to_end(
    start_instances: StartInstances,
    connector: RecordingConnector,
    model_server: ModelServer,
    redis_prefix: str,
) -> None:
    model_server.token_delay = 0.2
    model_server.answer_with = answers
    bots = await start_instances({"REDIS_KEY_PREFIX": redis_prefix, **LEASES})
    conversation = "conv-killed-asked"

    asked = await bots.say(QUESTION, conversation)
    await connector.wait_until(lambda: updates_with_text(connector, conversation) >= 2)
    bots.kill(asked.instance)
    again = await bots.say("Are you there?", conversation)  # taken once the lease lapsed
    assert again.status == 201
    assert again.instance != asked.instance

    await connector.wait_until(
        lambda: sum(s.final is not None for s in streams(connector, conversation)) == 2
    )
    recovered, answered = streams(connector, conversation)
    assert recovered.final is not None and answered.final is not None
    assert recovered.final.activity["text"].endswith(f"\n\n{RESTARTED_NOTE}")
    assert answered.final.activity["text"] == "".join(AFTERWARDS)
    assert answered.start.received_at > recovered.final.received_at
    assert await saved_history(redis_prefix, conversation, 4) == [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": recovered.final.activity["text"], "outcome": "recovered"},
        {"role": "user", "content": "Are you there?"},
        {"role": "assistant", "content": "".join(AFTERWARDS), "outcome": "complete"},
    ]
