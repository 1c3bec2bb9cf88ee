"""GET /metrics reports answers, latencies, throttling and turns as they happen."""

from __future__ import annotations

from tests.conftest import StartBot
from tests.support.activities import user_message
from tests.support.connector import Fault, RecordingConnector, is_stream_update
from tests.support.model_server import ModelServer


async def test_metrics_follow_answers_and_throttling(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.tokens = [f" word{number}" for number in range(40)]
    model_server.token_delay = 0.1
    connector.faults = [Fault(is_stream_update, 429, retry_after=0.5)]
    bot = await start_bot(model_env)
    before = await bot.metrics()
    assert before[("bot_active_answers", ())] == 0

    await bot.post_activity(user_message("hi", connector.url))
    await connector.wait_for_answers()
    await bot.answers_done()
    after = await bot.metrics()

    assert after[("bot_answers_total", (("outcome", "complete"),))] == 1
    assert after[("bot_active_answers", ())] == 0
    assert after[("bot_first_visible_text_seconds_count", ())] == 1
    assert after[("bot_model_first_token_seconds_count", ())] == 1
    assert after[("bot_updates_per_answer_count", ())] == 1
    assert after[("bot_update_lag_seconds_count", ())] >= 1
    assert after[("bot_connector_throttled_total", ())] == 1
    assert after[("bot_connector_retries_total", ())] == 1
    assert after[("bot_turn_seconds_count", (("activity_type", "message"),))] == 1
    assert after[("bot_turn_seconds_count", (("activity_type", "event"),))] == 1  # the answer's own turn
    assert after[("bot_model_circuit_open", ())] == 0


async def test_failed_and_stopped_answers_are_counted_by_outcome(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.fail_with_status = 500
    bot = await start_bot({**model_env, "MODEL_MAX_RETRIES": "0"})
    await bot.post_activity(user_message("hi", connector.url))
    await connector.wait_for_answers()

    model_server.fail_with_status = None
    model_server.token_delay = 0.1
    connector.stop_after_requests = 2
    await bot.post_activity(user_message("again", connector.url))
    await connector.wait_until(lambda: any(item.status == 403 for item in connector.received))
    await bot.answers_done()
    metrics = await bot.metrics()
    assert metrics[("bot_answers_total", (("outcome", "stopped"),))] == 1
    assert metrics[("bot_answers_total", (("outcome", "failed"),))] == 1
    assert metrics[("bot_model_errors_total", (("error", "ModelError"),))] == 1
