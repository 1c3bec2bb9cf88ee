"""Tool calls in a model's stream: offered only when given, put together from their fragments."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from config import DefaultConfig
from llm import AnswerCutOff, ChatModel, ModelError, ModelSignal, ToolCall, create_chat_model
from llm.completion_events import CompletionEvents
from llm.tool_calls import ToolCallFragments
from tests.support.model_server import ModelServer, ScriptedCall
from tests.support.replay_server import Ending, Recording, ReplayServer

QUESTION = [{"role": "user", "content": "What is the weather in Paris and in Rome?"}]


class WeatherTool:
    """A tool's description, as the model is offered it."""

    name = "get_weather"
    description = "The weather in a city."
    parameters: dict[str, object] = {  # noqa: RUF012 - the protocol's attribute
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    }


@asynccontextmanager
async def model_at(url: str) -> AsyncIterator[ChatModel]:
    """The configured model (the `openai` client behind the circuit breaker) of a local server."""
    model = create_chat_model(DefaultConfig({"OPENAI_BASE_URL": f"{url}/v1", "MODEL_MAX_RETRIES": "0"}).model)
    try:
        yield model
    finally:
        await model.close()


def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
    return f"data: {json.dumps({'choices': [choice]})}\n\n".encode()


def fragments(*calls: dict[str, Any]) -> bytes:
    return chunk({"tool_calls": list(calls)})


def events_with_calls() -> CompletionEvents:
    return CompletionEvents(ToolCallFragments())


def test_parallel_calls_are_put_together_by_index_from_fragments_across_reads() -> None:
    events = events_with_calls()
    stream = (
        chunk({"role": "assistant", "content": None}),
        fragments(
            {
                "index": 0,
                "id": "call_a",
                "type": "function",
                "function": {"name": "get_weather", "arguments": ""},
            }
        ),
        fragments({"index": 0, "function": {"arguments": '{"ci'}}),
        fragments(
            {
                "index": 1,
                "id": "call_b",
                "type": "function",
                "function": {"name": "get_weather", "arguments": ""},
            }
        ),
        fragments({"index": 0, "function": {"arguments": 'ty": "Paris"}'}}),
        fragments({"index": 1, "function": {"arguments": '{"city": "Rome"}'}}),
        chunk({}, "tool_calls"),
        b"data: [DONE]\n\n",
    )
    data = b"".join(stream)
    for start in range(0, len(data), 7):  # reads end anywhere, also inside an event
        assert events.feed(data[start : start + 7]) == ""
    assert events.done and events.finish_reason == "tool_calls"
    assert events.tool_calls is not None
    assert events.tool_calls.calls() == [
        ToolCall("call_a", "get_weather", '{"city": "Paris"}'),
        ToolCall("call_b", "get_weather", '{"city": "Rome"}'),
    ]


def test_whole_calls_repeated_ids_and_missing_indexes_are_read_too() -> None:
    assembled = ToolCallFragments()
    # Ollama: each call whole, with its arguments as an object in some versions; no index.
    assembled.add([{"id": "call_1", "function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}])
    # A server that repeats the id on every fragment of the next call.
    assembled.add([{"id": "call_2", "function": {"name": "get_weather", "arguments": '{"city":'}}])
    assembled.add([{"id": "call_2", "function": {"arguments": ' "Bergen"}'}}])
    assert assembled.calls() == [
        ToolCall("call_1", "get_weather", '{"city":"Oslo"}'),
        ToolCall("call_2", "get_weather", '{"city": "Bergen"}'),
    ]


def test_a_call_without_an_id_gets_one() -> None:
    assembled = ToolCallFragments()
    assembled.add([{"index": 0, "function": {"name": "get_weather", "arguments": "{}"}}])
    assert assembled.calls() == [ToolCall("call_0", "get_weather", "{}")]


@pytest.mark.parametrize("calls", ['"not a list"', '["not an object"]', '[{"index": 0, "function": "f"}]'])
def test_malformed_tool_calls_fail_the_stream(calls: str) -> None:
    events = events_with_calls()
    events.feed(b'data: {"choices":[{"index":0,"delta":{"tool_calls":' + calls.encode() + b"}}]}\n\n")
    assert events.failure is not None and "malformed tool call" in str(events.failure)


def test_without_tools_offered_tool_calls_are_not_looked_for() -> None:
    events = CompletionEvents()
    call = {"index": 0, "id": "call_a", "function": {"name": "get_weather", "arguments": "{}"}}
    assert events.feed(fragments(call) + chunk({"content": "Hi"})) == "Hi"
    assert events.tool_calls is None


async def test_tools_are_offered_and_calls_come_after_the_text(model_server: ModelServer) -> None:
    model_server.token_delay = 0.01
    model_server.text_before_calls = "Let me check."
    model_server.tool_rounds = [
        [
            ScriptedCall("call_p", "get_weather", '{"city": "Paris"}'),
            ScriptedCall("call_r", "get_weather", "{}"),
        ]
    ]
    async with model_at(model_server.url) as model:
        items = [item async for item in model.stream_chat(QUESTION, tools=[WeatherTool()])]

    texts = [item for item in items if isinstance(item, str)]
    calls = [item for item in items if isinstance(item, ToolCall)]
    assert "".join(texts) == "Let me check."
    assert calls == [
        ToolCall("call_p", "get_weather", '{"city": "Paris"}'),
        ToolCall("call_r", "get_weather", "{}"),
    ]
    assert items[-2:] == calls  # after everything else
    assert all(isinstance(item, (str, ToolCall, ModelSignal)) for item in items)
    [request] = model_server.requests
    assert request.body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": WeatherTool.description,
                "parameters": WeatherTool.parameters,
            },
        }
    ]
    assert "tool_choice" not in request.body  # "auto" is the default when tools are offered


async def test_the_last_round_lets_the_model_call_no_tool(model_server: ModelServer) -> None:
    model_server.token_delay = 0.0
    model_server.tool_rounds = [[ScriptedCall("call_p", "get_weather", "{}")]]
    async with model_at(model_server.url) as model:
        deltas = model.stream_chat(QUESTION, tools=[WeatherTool()], tool_choice="none")
        items = [item async for item in deltas]
    assert "".join(item for item in items if isinstance(item, str)) == model_server.answer
    assert model_server.requests[0].body["tool_choice"] == "none"


async def test_without_tools_the_request_offers_none(model_server: ModelServer) -> None:
    model_server.token_delay = 0.0
    async with model_at(model_server.url) as model:
        assert [item async for item in model.stream_chat(QUESTION) if isinstance(item, str)]
    body = model_server.requests[0].body
    assert "tools" not in body and "tool_choice" not in body


@pytest.mark.parametrize(
    ("ending", "finish", "raised"),
    [(Ending.DROP, None, ModelError), (Ending.CLOSE, "length", AnswerCutOff)],
    ids=["connection-dropped", "cut-off-by-length"],
)
async def test_a_call_the_stream_did_not_finish_is_never_yielded(
    replay: ReplayServer, ending: Ending, finish: str | None, raised: type[Exception]
) -> None:
    parts = [
        fragments({"index": 0, "id": "call_a", "function": {"name": "get_weather", "arguments": '{"ci'}}),
    ]
    if finish:
        parts.append(chunk({}, finish))
    replay.recordings = [Recording(tuple(parts), ending)]
    items: list[object] = []
    async with model_at(replay.url) as model:
        with pytest.raises(raised):
            async for item in model.stream_chat(QUESTION, tools=[WeatherTool()]):
                items.append(item)
    assert not any(isinstance(item, ToolCall) for item in items)
