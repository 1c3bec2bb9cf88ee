"""Issue 14, test 5: per-user limits hold across three instances behind the balancer, and a Redis
outage (Redis stopped, then slow, then back) gets the storage-outage reply, never a 5xx or a stuck
answer, and the instances recover by themselves.

The instances run on a private redis-server, which the test stops and starts again; the machine's
shared Redis is never touched. Every message is one user's, in a Teams personal chat of its own.
"""

from __future__ import annotations

import redis.asyncio

from host.turn_errors import STORAGE_UNAVAILABLE_REPLY
from safety.user_limits import BUSY_REPLY, TOO_FAST_REPLY
from tests.instances.conftest import StartInstances
from tests.support.connector import RecordingConnector
from tests.support.instances import BotInstances, Delivery
from tests.support.model_server import ModelServer
from tests.support.redis_servers import PrivateRedis

LIMITS = {
    # A burst of four messages, refilled far slower than the test runs.
    "USER_MESSAGE_BURST": "4",
    "USER_MESSAGES_PER_MINUTE": "1",
    "MAX_ANSWERS_PER_USER": "1",
}
ANN = {"id": "user-ann", "name": "Ann"}
BOB = {"id": "user-bob", "name": "Bob"}
CID = {"id": "user-cid", "name": "Cid"}
DEE = {"id": "user-dee", "name": "Dee"}


def stream_started(connector: RecordingConnector, conversation_id: str) -> bool:
    """Whether the answer in `conversation_id` has opened its stream ("Thinking…"): it is running."""
    return any(
        item.stream_info is not None and item.path.split("/")[3] == conversation_id
        for item in connector.accepted()
    )


async def say(bots: BotInstances, text: str, conversation_id: str, sender: dict[str, str]) -> Delivery:
    """Post the message through the balancer; the channel must never get a 5xx (it would resend)."""
    delivery = await bots.say(text, conversation_id, sender=sender)
    assert delivery.status == 201, delivery
    return delivery


async def test_user_limits_hold_across_instances_and_survive_redis_stopping_and_starting(
    start_instances: StartInstances,
    private_redis: PrivateRedis,
    connector: RecordingConnector,
    model_server: ModelServer,
) -> None:
    model_server.token_delay = 0.1  # an answer takes about a second
    bots = await start_instances(LIMITS, redis_url=private_redis.url)

    # The rate: Ann's burst of four is spent over three instances; the fifth message is refused
    # wherever it lands (each instance alone has seen at most two of hers).
    took = [await say(bots, "help", f"conv-ann-{number}", ANN) for number in range(5)]
    assert sorted({delivery.instance for delivery in took}) == ["bot1", "bot2", "bot3"]
    refused = [TOO_FAST_REPLY in connector.bubbles(f"conv-ann-{number}") for number in range(5)]
    assert refused == [False, False, False, False, True]

    # One answer at a time: while Bob's answer streams from one instance, his question in another
    # chat, taken by another instance, is refused; once the answer is done, it is answered.
    first = await say(bots, "a long question", "conv-bob-1", BOB)
    await connector.wait_until(lambda: stream_started(connector, "conv-bob-1"))
    second = await say(bots, "meanwhile", "conv-bob-2", BOB)
    assert second.instance != first.instance
    assert connector.bubbles("conv-bob-2") == [BUSY_REPLY]
    await connector.wait_until(lambda: connector.bubbles("conv-bob-1") == [model_server.answer])
    await bots.stored_history("conv-bob-1", entries=2)  # saved: the answer has ended everywhere
    await say(bots, "now then", "conv-bob-2", BOB)
    await connector.wait_until(lambda: connector.bubbles("conv-bob-2") == [BUSY_REPLY, model_server.answer])

    # Redis stops while Cid's answer streams: he still gets the whole answer, then the outage reply
    # (its history could not be saved); every message meanwhile gets the outage reply at once.
    await say(bots, "a question", "conv-cid-1", CID)
    await connector.wait_until(lambda: stream_started(connector, "conv-cid-1"))
    private_redis.stop()
    await connector.wait_until(
        lambda: connector.bubbles("conv-cid-1") == [model_server.answer, STORAGE_UNAVAILABLE_REPLY]
    )
    during = [await say(bots, "hello?", f"conv-cid-{number}", CID) for number in range(2, 5)]
    assert {delivery.instance for delivery in during} == {"bot1", "bot2", "bot3"}
    for number in range(2, 5):
        assert connector.bubbles(f"conv-cid-{number}") == [STORAGE_UNAVAILABLE_REPLY]

    # Back, but slow: it holds every command for longer than a limit check waits.
    private_redis.start()  # empty, as a Redis that keeps nothing on disk restarts
    async with redis.asyncio.Redis.from_url(private_redis.url) as admin:
        await admin.execute_command("CLIENT", "PAUSE", "2500", "ALL")
    await say(bots, "still there?", "conv-cid-5", CID)
    assert connector.bubbles("conv-cid-5") == [STORAGE_UNAVAILABLE_REPLY]

    # Once Redis answers again, every instance works again, with no restart: each keeps the limits
    # and the state in Redis again (Dee's third message, a question, is answered).
    again = [await say(bots, text, f"conv-dee-{text}", DEE) for text in ("help", "settings", "and now?")]
    assert {delivery.instance for delivery in again} == {"bot1", "bot2", "bot3"}
    assert STORAGE_UNAVAILABLE_REPLY not in connector.bubbles("conv-dee-help") + connector.bubbles(
        "conv-dee-settings"
    )
    await connector.wait_until(lambda: connector.bubbles("conv-dee-and now?") == [model_server.answer])
    assert len(model_server.requests) == 2 + 1 + 1  # Bob's, Cid's and Dee's: no refused message
