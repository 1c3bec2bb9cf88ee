"""Redis goes away while an answer streams, and comes back: no 5xx, no stuck answer, a clear message.

One bot on a private `redis-server` that the test stops and starts again (it comes back empty).
"""

from __future__ import annotations

import time
from typing import Any

from host.turn_errors import STORAGE_UNAVAILABLE_REPLY
from streaming import StopReason
from streaming.notes import STOP_NOTES
from tests.conftest import StartBot
from tests.instances.conversations import messages, streaming_text_shown, streams
from tests.support.activities import user_message
from tests.support.connector import RecordingConnector
from tests.support.model_server import ModelServer
from tests.support.redis_servers import PrivateRedis

LEASE_SECONDS = 2.0
HEARTBEAT_SECONDS = 0.5
LONG = [f" word{number}" for number in range(100)]  # 20 s at the server's pace
SHORT = ["Back", " again", "."]


def answers(messages: list[dict[str, Any]]) -> list[str]:
    return LONG if messages[-1]["content"] == "Tell me everything." else SHORT


async def test_an_answer_ends_with_a_note_when_redis_goes_away_and_the_bot_answers_once_it_is_back(
    private_redis: PrivateRedis,
    start_bot: StartBot,
    model_env: dict[str, str],
    model_server: ModelServer,
    connector: RecordingConnector,
) -> None:
    connector.conversation_rate_limit_interval = 1.0
    model_server.token_delay = 0.2
    model_server.answer_with = answers
    bot = await start_bot(
        {
            **model_env,
            "STORAGE": "redis",
            "REDIS_URL": private_redis.url,
            "CONVERSATION_LEASE_SECONDS": f"{LEASE_SECONDS:g}",
            "LEASE_HEARTBEAT_SECONDS": f"{HEARTBEAT_SECONDS:g}",
        }
    )
    conversation = "conv-outage"

    def say(text: str) -> dict[str, Any]:
        return user_message(text, connector.url, conversation_id=conversation)

    status, _ = await bot.post_activity(say("Tell me everything."))
    assert status == 201
    await connector.wait_until(lambda: streaming_text_shown(connector, conversation))
    private_redis.stop()
    stopped_at = time.monotonic()

    # The instance can no longer keep the conversation: the answer ends before its lease could lapse.
    await connector.wait_until(lambda: streams(connector, conversation)[0].final is not None)
    (stream,) = streams(connector, conversation)
    assert stream.final is not None
    assert stream.final.activity["text"].endswith(f"\n\n{STOP_NOTES[StopReason.LEASE_LOST]}")
    assert stream.final.received_at - stopped_at < LEASE_SECONDS
    # Its turn could not save the answer either, and says so.
    await connector.wait_until(lambda: len(messages(connector, conversation)) == 1)
    assert messages(connector, conversation)[0].activity["text"] == STORAGE_UNAVAILABLE_REPLY

    status, _ = await bot.post_activity(say("Are you there?"))
    assert status == 201  # never a 5xx: Teams would send the message again
    await connector.wait_until(lambda: len(messages(connector, conversation)) == 2)
    assert messages(connector, conversation)[1].activity["text"] == STORAGE_UNAVAILABLE_REPLY

    private_redis.start()  # back, and empty
    status, _ = await bot.post_activity(say("And now?"))
    assert status == 201
    await connector.wait_until(lambda: len(messages(connector, conversation)) == 3, within=10)
    assert messages(connector, conversation)[2].activity["text"] == "".join(SHORT)
