"""A message that lands on another instance ends the answer in progress first, as on one instance.

Three `python app.py` on one Redis behind HAProxy, round-robin, so that the second message of a
conversation goes to another instance than the first. The connector is Teams' strict one: one
stream request a second per conversation, whichever instance sends, and one open stream per chat.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from dialogs.typed_stop import STOPPED_REPLY
from streaming import StopReason
from streaming.notes import STOP_NOTES
from tests.instances.conftest import StartInstances
from tests.instances.conversations import messages, saved_history, streaming_text_shown, streams
from tests.support.connector import RecordingConnector
from tests.support.model_server import ModelServer
from tests.support.redis_servers import shared_redis_prefix

LONG_QUESTION = "Tell me everything."
LONG_ANSWER = [f" word{number}" for number in range(60)]  # about 12 s at the server's pace
SHORT_ANSWER = ["In", " short", ":", " it", " streams", " as", " the", " model", " writes", "."]  # 2 s


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """The instances' key prefix on the shared Redis, so that the test can read their state."""
    with shared_redis_prefix() as prefix:
        yield prefix


async def moment(event: asyncio.Event) -> float:
    """When `event` is set (`time.monotonic`)."""
    await event.wait()
    return time.monotonic()


def answers(messages: list[dict[str, Any]]) -> list[str]:
    return LONG_ANSWER if messages[-1]["content"] == LONG_QUESTION else SHORT_ANSWER


async def test_a_message_on_another_instance_ends_the_answer_within_a_second_before_its_own_starts(
    start_instances: StartInstances,
    connector: RecordingConnector,
    model_server: ModelServer,
    redis_prefix: str,
) -> None:
    model_server.token_delay = 0.2
    model_server.answer_with = answers
    bots = await start_instances({"REDIS_KEY_PREFIX": redis_prefix})
    conversation = "conv-interrupt"

    first = await bots.say(LONG_QUESTION, conversation)
    await connector.wait_until(lambda: streaming_text_shown(connector, conversation))
    model_request_closed = asyncio.create_task(moment(model_server.disconnected))
    asked_at = time.monotonic()
    second = await bots.say("And in short?", conversation)
    assert (first.status, second.status) == (201, 201)
    assert second.instance != first.instance, "the balancer sent both messages to one instance"

    await connector.wait_until(
        lambda: sum(s.final is not None for s in streams(connector, conversation)) == 2
    )
    old, new = streams(connector, conversation)
    assert old.final is not None and new.final is not None
    stopped_after = await asyncio.wait_for(model_request_closed, timeout=5) - asked_at
    interrupted_after = old.final.received_at - asked_at
    print(
        f"\nthe old answer's model request was closed {stopped_after:.3f} s after the new message was "
        f"sent, its final arrived {interrupted_after:.2f} s after (Teams' pace since its last update)"
    )
    assert stopped_after < 1.0
    assert interrupted_after < 1.5
    assert new.start.received_at > old.final.received_at  # never two open streams (the fixture checks too)
    note = STOP_NOTES[StopReason.NEW_MESSAGE]
    # Every word the model sent until then (some after the last update), then the note.
    assert old.final.activity["text"].startswith(old.last_text)
    assert old.final.activity["text"].endswith(f"\n\n{note}")
    assert old.last_text.startswith(LONG_ANSWER[0])
    assert new.final.activity["text"] == "".join(SHORT_ANSWER)

    assert await saved_history(redis_prefix, conversation, 4) == [
        {"role": "user", "content": LONG_QUESTION},
        {"role": "assistant", "content": old.final.activity["text"], "outcome": "interrupted"},
        {"role": "user", "content": "And in short?"},
        {"role": "assistant", "content": "".join(SHORT_ANSWER), "outcome": "complete"},
    ]


async def test_a_typed_stop_on_another_instance_ends_the_answer_and_is_confirmed_after_it(
    start_instances: StartInstances,
    connector: RecordingConnector,
    model_server: ModelServer,
    redis_prefix: str,
) -> None:
    model_server.token_delay = 0.2
    model_server.answer_with = answers
    bots = await start_instances({"REDIS_KEY_PREFIX": redis_prefix})
    conversation = "conv-stop"

    first = await bots.say(LONG_QUESTION, conversation)
    await connector.wait_until(lambda: streaming_text_shown(connector, conversation))
    stop = await bots.say("stop", conversation)
    assert stop.instance != first.instance, "the balancer sent both messages to one instance"

    await connector.wait_until(
        lambda: any(m.activity["text"] == STOPPED_REPLY for m in messages(connector, conversation))
    )
    (stopped,) = streams(connector, conversation)
    (confirmation,) = messages(connector, conversation)
    assert stopped.final is not None
    assert stopped.final.activity["text"].startswith(stopped.last_text)
    assert stopped.final.activity["text"].endswith(f"\n\n{STOP_NOTES[StopReason.STOP_COMMAND]}")
    assert confirmation.received_at > stopped.final.received_at
    await asyncio.wait_for(model_server.disconnected.wait(), timeout=5)
    assert len(model_server.requests) == 1  # "stop" was not asked of the model

    assert await saved_history(redis_prefix, conversation, 2) == [
        {"role": "user", "content": LONG_QUESTION},
        {"role": "assistant", "content": stopped.final.activity["text"], "outcome": "stopped"},
    ]
