"""The harness itself: three instances behind HAProxy take a conversation's messages in turn."""

from __future__ import annotations

from tests.instances.conftest import StartInstances
from tests.support.connector import RecordingConnector
from tests.support.model_server import ModelServer


async def test_the_balancer_spreads_messages_round_robin_and_a_killed_instance_is_passed_over(
    start_instances: StartInstances, connector: RecordingConnector, model_server: ModelServer
) -> None:
    model_server.token_delay = 0.0
    bots = await start_instances()
    first = [await bots.say("help", "conv-harness") for _ in range(3)]
    assert sorted(delivery.instance for delivery in first) == ["bot1", "bot2", "bot3"]
    assert all(delivery.status == 201 for delivery in first), first
    assert await bots.served_by() == [delivery.instance for delivery in first]

    bots.kill("bot2")
    after = [await bots.say("help", "conv-harness") for _ in range(4)]
    assert [delivery.status for delivery in after] == [201] * 4
    assert {delivery.instance for delivery in after} == {"bot1", "bot3"}
