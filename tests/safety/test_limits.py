"""Per-user limits answer politely, and the model is not called."""

from __future__ import annotations

from safety.user_limits import BUSY_REPLY, TOO_FAST_REPLY, TOO_LONG_REPLY
from tests.conftest import StartBot
from tests.support.activities import user_message
from tests.support.connector import RecordingConnector, is_stream_update
from tests.support.model_server import ModelServer


async def test_a_message_over_the_length_cap_is_refused(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    bot = await start_bot({**model_env, "MAX_MESSAGE_CHARS": "20"})
    await bot.post_activity(user_message("x" * 21, connector.url))
    assert await connector.wait_for_answers() == [TOO_LONG_REPLY.format(length=21, limit=20)]
    assert model_server.requests == []


async def test_a_user_over_the_rate_limit_is_asked_to_wait(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    bot = await start_bot({**model_env, "USER_MESSAGE_BURST": "2", "USER_MESSAGES_PER_MINUTE": "1"})
    for number in range(3):
        await bot.post_activity(user_message(f"q{number}", connector.url, conversation_id="conv-rate"))
        await bot.answers_done()
    assert TOO_FAST_REPLY in connector.bubbles()
    assert len(model_server.requests) == 2  # the third message never reached the model
    # Another user is not affected.
    other = user_message("mine", connector.url)
    other["from"] = {"id": "user-2", "name": "Other"}
    await bot.post_activity(other)
    await bot.answers_done()
    assert len(model_server.requests) == 3


async def test_a_user_gets_at_most_the_configured_answers_at_once_across_conversations(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.tokens = [f" word{number}" for number in range(40)]
    model_server.token_delay = 0.1
    bot = await start_bot(model_env)  # the default: two answers at once
    for conversation in ("conv-a", "conv-b"):
        await bot.post_activity(user_message("long one", connector.url, conversation_id=conversation))
    await connector.wait_until(lambda: len(model_server.requests) == 2)
    await bot.post_activity(user_message("meanwhile", connector.url, conversation_id="conv-c"))
    await bot.answers_done()
    assert connector.bubbles().count(BUSY_REPLY) == 1
    assert len(model_server.requests) == 2
    assert connector.bubbles().count(model_server.answer) == 2  # the running answers were not disturbed


async def test_one_answer_at_a_time_per_user_when_so_configured(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.tokens = [f" word{number}" for number in range(40)]
    model_server.token_delay = 0.1
    bot = await start_bot({**model_env, "MAX_ANSWERS_PER_USER": "1"})
    await bot.post_activity(user_message("long one", connector.url, conversation_id="conv-a"))
    await connector.wait_until(lambda: any(is_stream_update(item) for item in connector.received))
    await bot.post_activity(user_message("meanwhile", connector.url, conversation_id="conv-b"))
    # A new message in the answer's own conversation is not refused: it interrupts the answer.
    await bot.post_activity(user_message("instead", connector.url, conversation_id="conv-a"))
    await bot.answers_done()
    assert connector.bubbles().count(BUSY_REPLY) == 1
    assert len(model_server.requests) == 2
