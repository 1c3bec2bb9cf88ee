"""Traces and metrics reach an OTLP collector and Application Insights when configured; else nothing loads.

The bot runs as `python app.py` with the variables an operator sets, and exports to local back ends
that decode what arrives.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest

from tests.support.activities import invoke, user_message
from tests.support.bot_process import ROOT, BotProcess
from tests.support.connector import RecordingConnector
from tests.support.loopback import served
from tests.support.model_server import ModelServer
from tests.support.telemetry import AppInsightsIngestion, OtlpCollector

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN_ID = "00f067aa0ba902b7"
FAST_EXPORT = {"OTEL_BSP_SCHEDULE_DELAY": "50", "OTEL_METRIC_EXPORT_INTERVAL": "200"}


@pytest.fixture
async def collector() -> AsyncIterator[OtlpCollector]:
    async with served(OtlpCollector()) as receiver:
        yield receiver


@pytest.fixture
async def ingestion() -> AsyncIterator[AppInsightsIngestion]:
    async with served(AppInsightsIngestion()) as receiver:
        yield receiver


@pytest.fixture
def quick_model(model_server: ModelServer) -> dict[str, str]:
    """A short answer from the local model server, with the state in memory."""
    model_server.token_delay = 0.02
    return {"OPENAI_BASE_URL": f"{model_server.url}/v1", "STORAGE": "memory"}


async def test_otlp_gets_the_turn_and_answer_spans_and_the_answer_metrics(
    collector: OtlpCollector,
    connector: RecordingConnector,
    model_server: ModelServer,
    quick_model: dict[str, str],
) -> None:
    model_server.token_delay = 0.15  # 1.5 s: long enough for a streamed update at Teams' pace (1 s)
    env = {
        **quick_model,
        **FAST_EXPORT,
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
        "OTEL_SERVICE_NAME": "bot-under-test",
        "LOG_FORMAT": "json",
    }
    message = user_message("hi", connector.url)
    conversation = message["conversation"]["id"]
    async with BotProcess(env) as bot:
        status = await bot.post(message, headers={"traceparent": f"00-{TRACE_ID}-{CALLER_SPAN_ID}-01"})
        await connector.wait_for_answers()
        await collector.wait_until(
            lambda: (
                bool(collector.named("answer"))
                and collector.latest("bot.answers", outcome="complete") == 1
                and collector.latest("bot.active_answers") == 0
            )
        )
        log = bot.log
        histograms = (
            "bot.first_visible_text",
            "bot.model_first_token",
            "bot.updates_per_answer",
            "bot.update_lag",
        )
        counts = {name: collector.latest(name) for name in histograms}  # before the next answer adds to them
        # An expectReplies answer is produced inside its request: the request's span gets the report.
        await bot.post(user_message("again", connector.url, delivery_mode="expectReplies"))
        await collector.wait_until(lambda: len(collector.named("POST /api/messages")) == 2)
    assert status == 201

    turn, expected_replies = collector.named("POST /api/messages")
    assert (turn.kind, turn.service_name) == ("SERVER", "bot-under-test")
    assert (turn.trace_id, turn.parent_span_id) == (TRACE_ID, CALLER_SPAN_ID)  # the caller's trace goes on
    assert turn.attributes["http.response.status_code"] == 201
    assert turn.attributes["bot.activity.type"] == "message"
    assert turn.attributes["bot.activity.id"] == message["id"]
    assert turn.attributes["bot.channel.id"] == "msteams"
    assert turn.attributes["bot.conversation.id"] == conversation

    [answer] = collector.named("answer")
    assert (answer.kind, answer.trace_id, answer.parent_span_id) == ("INTERNAL", TRACE_ID, turn.span_id)
    assert answer.attributes["bot.conversation.id"] == conversation
    assert answer.attributes["bot.activity.id"] == message["id"]  # the message it answers
    assert answer.attributes["bot.answer.outcome"] == "complete"
    assert answer.attributes["bot.answer.delivery"] == "Teams personal chat"
    assert answer.attributes["bot.answer.updates"] >= 2  # "Thinking…", then text
    assert answer.attributes["bot.answer.rate_limited"] == 0
    assert answer.attributes["bot.answer.first_visible_text_seconds"] > 0
    assert answer.attributes["bot.answer.model_first_token_seconds"] > 0
    assert "bot.answer.model_error" not in answer.attributes
    assert answer.status == "UNSET"

    # A histogram's count of values: one per answer, and one lag per streamed text update.
    assert counts.pop("bot.update_lag") in range(1, answer.attributes["bot.answer.updates"])
    assert counts == {"bot.first_visible_text": 1, "bot.model_first_token": 1, "bot.updates_per_answer": 1}

    # The answer's log line names the answer's span, so logs and traces meet.
    [answered] = [line for line in map(json.loads, log.splitlines()) if line["message"].startswith("answer ")]
    assert (answered["trace_id"], answered["span_id"]) == (TRACE_ID, answer.span_id)

    assert expected_replies.attributes["bot.answer.outcome"] == "complete"
    assert expected_replies.trace_id != TRACE_ID  # no traceparent: a trace of its own


async def test_otlp_gets_the_feedback_count(collector: OtlpCollector, connector: RecordingConnector) -> None:
    env = {
        **FAST_EXPORT,
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": f"{collector.url}/v1/metrics",
        "STORAGE": "memory",
    }
    value = {"actionName": "feedback", "actionValue": {"reaction": "dislike", "feedback": "Off topic"}}
    async with BotProcess(env) as bot:
        for _ in range(2):
            assert await bot.post(invoke("message/submitAction", value, connector.url)) == 200
        await collector.wait_until(lambda: collector.latest("bot.feedback", reaction="dislike") == 2)
    assert collector.latest("bot.feedback", reaction="like") is None


async def test_application_insights_gets_the_request_its_answer_and_the_metrics(
    ingestion: AppInsightsIngestion,
    connector: RecordingConnector,
    quick_model: dict[str, str],
    tmp_path: pathlib.Path,
) -> None:
    env = {
        **quick_model,
        **FAST_EXPORT,
        "APPLICATIONINSIGHTS_CONNECTION_STRING": (
            f"InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint={ingestion.url}/"
        ),
        # The exporter's own reports and settings come from Microsoft's endpoints: none here.
        "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true",
        "APPLICATIONINSIGHTS_CONTROLPLANE_DISABLED": "true",
        "APPLICATIONINSIGHTS_SDKSTATS_DISABLED": "true",
        "TMPDIR": str(tmp_path),  # where the exporter keeps telemetry to send again
    }
    message = user_message("hi", connector.url)
    conversation = message["conversation"]["id"]

    def metric_names() -> set[str]:
        return {metric["name"] for data in ingestion.of_type("MetricData") for metric in data["metrics"]}

    async with BotProcess(env) as bot:
        await bot.post(message)
        await connector.wait_for_answers()
        await ingestion.wait_until(
            lambda: bool(ingestion.of_type("RemoteDependencyData")) and "bot.answers" in metric_names()
        )

    [request] = ingestion.of_type("RequestData")
    assert request["name"] == "POST /api/messages"
    assert (request["responseCode"], request["success"]) == ("201", True)
    assert request["properties"]["bot.conversation.id"] == conversation
    [answer] = ingestion.of_type("RemoteDependencyData")
    assert answer["name"] == "answer"
    assert answer["properties"]["bot.conversation.id"] == conversation
    assert answer["properties"]["bot.answer.outcome"] == "complete"
    assert answer["success"] is True
    assert {"bot.answers", "bot.first_visible_text", "bot.active_answers"} <= metric_names()
    # One operation: the answer is the request's child.
    operations = {
        envelope["tags"]["ai.operation.id"]
        for envelope in ingestion.envelopes
        if "ai.operation.id" in envelope["tags"]
    }
    assert len(operations) == 1


def test_nothing_is_exported_or_imported_unless_configured() -> None:
    script = (
        "import sys, app\n"
        "from config import DefaultConfig\n"
        "app.create_app(DefaultConfig({'STORAGE': 'memory'}))\n"
        "print([name for name in sys.modules if name.partition('.')[0] == 'opentelemetry'\n"
        "       or name.startswith('azure.monitor')])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "[]"
