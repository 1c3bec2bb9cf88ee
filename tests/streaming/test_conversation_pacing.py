"""The channel's pace between any two stream sends of a conversation, across streams and answers.

Teams allows one stream request a second and does not say whether per stream or per conversation;
the connector here applies the strict reading (per conversation, starts and finals included), so a
new stream that opens right after the previous one's final draws a 429.
"""

from __future__ import annotations

import itertools

from tests.conftest import StartBot
from tests.support.activities import user_message
from tests.support.connector import Fault, Received, RecordingConnector, is_final, is_stream_update
from tests.support.model_server import ModelServer

WORDS = [f" word{number}" for number in range(30)]


def stream_sends(connector: RecordingConnector) -> list[Received]:
    return [item for item in connector.received if item.stream_info is not None]


def assert_paced(sends: list[Received], interval: float) -> None:
    gaps = [later.received_at - earlier.received_at for earlier, later in itertools.pairwise(sends)]
    assert gaps, "expected several stream sends"
    assert min(gaps) >= interval, f"two stream sends {min(gaps):.3f}s apart"


async def test_a_new_answers_stream_keeps_the_pace_after_the_interrupted_ones_final(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.tokens, model_server.token_delay = WORDS, 0.1
    connector.conversation_rate_limit_interval = 1.0
    bot = await start_bot(model_env)
    first = user_message("first question", connector.url)
    await bot.post_activity(first)
    await connector.wait_until(lambda: any(is_stream_update(item) for item in connector.received))

    model_server.tokens, model_server.token_delay = WORDS[:10], 0.2
    second = user_message("second", connector.url, conversation_id=first["conversation"]["id"])
    await bot.post_activity(second)
    bubbles = await connector.wait_for_answers(2)

    assert bubbles[1] == "".join(WORDS[:10])
    assert [item.status for item in connector.received].count(429) == 0
    assert_paced(stream_sends(connector), 1.0)
    assert len([item for item in connector.received if is_final(item)]) == 2  # both streamed


async def test_the_next_answer_keeps_the_pace_after_the_previous_final(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.tokens, model_server.token_delay = WORDS[:5], 0.0
    connector.conversation_rate_limit_interval = 1.0
    bot = await start_bot(model_env)
    first = user_message("first", connector.url)
    await bot.post_activity(first)
    await connector.wait_for_answers(1)
    await bot.answers_done()  # the conversation is idle: nothing of it runs any more

    model_server.tokens, model_server.token_delay = WORDS[:10], 0.2
    second = user_message("second", connector.url, conversation_id=first["conversation"]["id"])
    await bot.post_activity(second)
    await connector.wait_for_answers(2)

    assert [item.status for item in connector.received].count(429) == 0
    assert_paced(stream_sends(connector), 1.0)


async def test_an_answers_next_bubble_keeps_the_pace(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.tokens, model_server.token_delay = WORDS, 0.02
    connector.conversation_rate_limit_interval = 1.0
    bot = await start_bot({**model_env, "MESSAGE_MAX_UTF16": "100"})
    await bot.post_activity(user_message("long", connector.url))
    await connector.wait_until(lambda: "".join(connector.bubbles()) == model_server.answer, within=30)

    assert len(connector.bubbles()) >= 2
    assert [item.status for item in connector.received].count(429) == 0
    assert_paced(stream_sends(connector), 1.0)


async def test_a_429_on_a_streams_first_send_is_retried_and_the_answer_still_streams(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.tokens, model_server.token_delay = WORDS, 0.1  # longer than the wait the 429 asks

    def stream_start(item: Received) -> bool:
        return item.stream_info is not None and "streamId" not in item.stream_info

    connector.faults = [Fault(stream_start, 429, code="Throttled", retry_after=1.5)]
    bot = await start_bot(model_env)
    await bot.post_activity(user_message("hi", connector.url))
    assert await connector.wait_for_answers() == [model_server.answer]

    starts = [item for item in connector.received if stream_start(item)]
    assert [item.status for item in starts] == [429, 201]
    assert starts[1].received_at - starts[0].received_at >= 1.5  # Retry-After honoured
    assert any(is_stream_update(item) and item.accepted for item in connector.received)
    assert any(is_final(item) and item.accepted for item in connector.received)
