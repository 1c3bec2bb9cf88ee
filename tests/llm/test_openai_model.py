"""The `openai` client path against a local OpenAI-compatible server: real HTTP, real SSE."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator
from contextlib import aclosing

import openai
import pytest

from config import DefaultConfig
from llm import AnswerCutOff, ModelError, ModelSignal, create_chat_model
from llm.circuit_breaker import CircuitBreakerModel
from llm.completion_events import CompletionEvents
from llm.openai_model import OpenAIChatModel
from llm.response_body import _inflated, body_chunks
from tests.llm.compat import recordings
from tests.support.model_server import ModelServer
from tests.support.replay_server import ReplayServer

QUESTION = [{"role": "user", "content": "Say something."}]


async def collect(deltas: AsyncIterator[str | ModelSignal]) -> list[str]:
    """The text pieces of a model's stream (without its signs of life)."""
    return [delta async for delta in deltas if isinstance(delta, str)]


async def first_text(deltas: AsyncIterator[str | ModelSignal]) -> str:
    async for delta in deltas:
        if isinstance(delta, str):
            return delta
    raise AssertionError("the stream ended without text")


async def test_streams_the_answer_piece_by_piece(
    model_env: dict[str, str], model_server: ModelServer
) -> None:
    model_server.token_delay = 0.02
    model = create_chat_model(DefaultConfig(model_env).model)
    try:
        deltas = await collect(model.stream_chat(QUESTION, temperature=0.2))
    finally:
        await model.close()
    # Pieces as they were read off the connection: tokens that arrived together come as one.
    assert "".join(deltas) == model_server.answer
    assert len(deltas) > 1
    assert all(deltas)
    [request] = model_server.requests
    assert request.path == "/v1/chat/completions"
    assert request.body["stream"] is True
    assert request.body["model"] == "local-test-model"
    assert request.body["messages"] == QUESTION
    assert request.body["temperature"] == 0.2
    assert request.headers["Authorization"] == "Bearer not-needed"  # keyless local servers


async def test_an_encoded_stream_is_decoded(model_env: dict[str, str], model_server: ModelServer) -> None:
    model_server.compress = True
    model_server.token_delay = 0.01
    model = create_chat_model(DefaultConfig(model_env).model)
    try:
        assert "".join(await collect(model.stream_chat(QUESTION))) == model_server.answer
    finally:
        await model.close()
    assert "gzip" in model_server.requests[0].headers["Accept-Encoding"]


async def test_azure_openai_uses_the_deployment_route(model_server: ModelServer) -> None:
    model_server.token_delay = 0.0
    env = {
        "AZURE_OPENAI_ENDPOINT": model_server.url,
        "AZURE_OPENAI_API_KEY": "azure-test-key",
        "AZURE_OPENAI_DEPLOYMENT": "chat-deployment",
        "OPENAI_API_VERSION": "2024-10-21",
    }
    model = create_chat_model(DefaultConfig(env).model)
    try:
        assert "".join(await collect(model.stream_chat(QUESTION))) == model_server.answer
    finally:
        await model.close()
    [request] = model_server.requests
    assert request.path == "/openai/deployments/chat-deployment/chat/completions"
    assert request.query == {"api-version": "2024-10-21"}
    assert request.headers["api-key"] == "azure-test-key"


async def test_closing_the_stream_closes_the_request(model_server: ModelServer) -> None:
    model_server.token_delay = 0.2
    client = openai.AsyncOpenAI(api_key="k", base_url=f"{model_server.url}/v1")
    model = OpenAIChatModel(client, "local-test-model", temperature=0.5)
    async with aclosing(model.stream_chat(QUESTION)) as deltas:
        first = await first_text(deltas)
    assert first == model_server.tokens[0]
    await asyncio.wait_for(model_server.disconnected.wait(), timeout=5)
    await model.close()


async def test_cancelling_the_consumer_closes_the_request(model_server: ModelServer) -> None:
    model_server.token_delay = 0.2
    model = OpenAIChatModel(
        openai.AsyncOpenAI(api_key="k", base_url=f"{model_server.url}/v1"), "m", temperature=0.5
    )
    first_token = asyncio.Event()

    async def consume() -> None:
        async for _ in model.stream_chat(QUESTION):
            first_token.set()

    task = asyncio.create_task(consume())
    await first_token.wait()
    task.cancel()
    await asyncio.wait_for(model_server.disconnected.wait(), timeout=5)
    await model.close()


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_service_errors_become_model_errors(model_server: ModelServer, status: int) -> None:
    model_server.fail_with_status = status
    client = openai.AsyncOpenAI(api_key="k", base_url=f"{model_server.url}/v1", max_retries=0)
    model = OpenAIChatModel(client, "m", temperature=0.5)
    with pytest.raises(ModelError, match=f"answered HTTP {status}"):
        await collect(model.stream_chat(QUESTION))
    await model.close()


async def test_unreachable_server_becomes_a_model_error(model_server: ModelServer) -> None:
    client = openai.AsyncOpenAI(api_key="k", base_url="http://127.0.0.1:9/v1", max_retries=0)
    model = OpenAIChatModel(client, "m", temperature=0.5)
    with pytest.raises(ModelError, match="could not be reached"):
        await collect(model.stream_chat(QUESTION))
    await model.close()


async def test_keep_alive_comments_and_empty_chunks_are_skipped(
    model_env: dict[str, str], model_server: ModelServer
) -> None:
    model_server.preamble = [
        b": keep-alive\n\n",
        b'data: {"id":"x","object":"chat.completion.chunk","choices":[],"prompt_filter_results":[]}\n\n',
        b"event: ping\n\n",
    ]
    model = create_chat_model(DefaultConfig(model_env).model)
    try:
        assert "".join(await collect(model.stream_chat(QUESTION))) == model_server.answer
    finally:
        await model.close()


async def test_error_event_mid_stream_becomes_a_model_error(model_server: ModelServer) -> None:
    model_server.error_after = 3
    model = OpenAIChatModel(
        openai.AsyncOpenAI(api_key="k", base_url=f"{model_server.url}/v1"), "m", temperature=0.5
    )
    received: list[str] = []
    with pytest.raises(ModelError, match="reported an error mid-answer"):
        async for delta in model.stream_chat(QUESTION):
            if isinstance(delta, str):
                received.append(delta)
    assert received == model_server.tokens[:3]
    await model.close()


async def test_a_streamed_answer_may_pause_longer_than_the_request_timeout(
    model_env: dict[str, str], model_server: ModelServer
) -> None:
    # MODEL_TIMEOUT_SECONDS bounds connecting and non-streamed requests; silence inside a streamed
    # answer is the answer's idle watchdog's business (MODEL_IDLE_TIMEOUT_SECONDS), not a read timeout.
    model_server.token_delay = 1.3
    model_server.tokens = ["slow ", "but ", "complete"]
    model = create_chat_model(DefaultConfig({**model_env, "MODEL_TIMEOUT_SECONDS": "1"}).model)
    try:
        assert "".join(await collect(model.stream_chat(QUESTION))) == "slow but complete"
    finally:
        await model.close()
    assert len(model_server.requests) == 1  # Not cut and retried.


async def test_the_body_is_read_straight_from_aiohttp(
    model_env: dict[str, str], model_server: ModelServer
) -> None:
    # The fast path relies on how the pinned `openai` hands aiohttp's response up; if an upgrade
    # changes that, answers still work (through `iter_bytes`) but cost more CPU: this notices.
    client = openai.AsyncOpenAI(
        api_key="test", base_url=model_env["OPENAI_BASE_URL"], http_client=openai.DefaultAioHttpClient()
    )
    request = client.chat.completions.with_streaming_response.create(
        model="local-test-model", messages=QUESTION, stream=True
    )
    try:
        async with request as response:
            chunks = body_chunks(response)
            assert chunks.__qualname__ == "_received"  # aiohttp's own buffer, not the client's layers
            assert b"[DONE]" in b"".join([chunk async for chunk in chunks])
    finally:
        await client.close()


def test_a_finish_reason_without_done_ends_the_answer_properly() -> None:
    # Some OpenAI-compatible servers stop after the chunk with the finish reason, without [DONE].
    events = CompletionEvents()
    text = b'data: {"choices": [{"delta": {"content": "Hi"}, "finish_reason": null}]}\n\n'
    assert events.feed(text) == "Hi"
    assert not events.finished
    assert events.feed(b'data: {"choices": [{"delta": {}, "finish_reason": "stop"}]}\n\n') == ""
    assert events.finished and not events.done


def replayed_model(replay: ReplayServer) -> OpenAIChatModel:
    client = openai.AsyncOpenAI(api_key="k", base_url=f"{replay.url}/v1", max_retries=0)
    return OpenAIChatModel(client, "m", temperature=0.5)


async def test_reasoning_comes_as_signals_never_as_text(replay: ReplayServer) -> None:
    replay.recordings = [recordings.vllm_reasoning_content(0.2)]
    model = replayed_model(replay)
    deltas = [delta async for delta in model.stream_chat(QUESTION)]
    await model.close()
    assert "".join(delta for delta in deltas if isinstance(delta, str)) == recordings.ANSWER
    assert ModelSignal.REASONING in deltas
    first_text = next(index for index, delta in enumerate(deltas) if isinstance(delta, str))
    assert set(deltas[:first_text]) <= {ModelSignal.REASONING, ModelSignal.ALIVE}


async def test_keep_alive_comments_come_as_signs_of_life(replay: ReplayServer) -> None:
    replay.recordings = [recordings.openrouter_processing_then_reasoning(0.3, 0.1)]
    model = replayed_model(replay)
    deltas = [delta async for delta in model.stream_chat(QUESTION)]
    await model.close()
    assert deltas[0] is ModelSignal.ALIVE  # `: OPENROUTER PROCESSING`, before anything else
    assert "".join(delta for delta in deltas if isinstance(delta, str)) == recordings.ANSWER


@pytest.mark.parametrize("reason", ["length", "content_filter"])
async def test_a_cut_off_is_raised_after_all_the_text(replay: ReplayServer, reason: str) -> None:
    replay.recordings = [recordings.openai(reason)]
    model = replayed_model(replay)
    received: list[str] = []
    with pytest.raises(AnswerCutOff) as raised:
        async for delta in model.stream_chat(QUESTION):
            if isinstance(delta, str):
                received.append(delta)
    await model.close()
    assert raised.value.finish_reason == reason
    assert "".join(received) == recordings.ANSWER


async def test_a_cut_off_is_not_a_failure_for_the_circuit_breaker(replay: ReplayServer) -> None:
    replay.recordings = [recordings.openai("length")]
    breaker = CircuitBreakerModel(replayed_model(replay), failure_threshold=1, cooldown=60.0)
    with pytest.raises(AnswerCutOff):
        async for _ in breaker.stream_chat(QUESTION):
            pass
    assert not breaker.is_open
    await breaker.close()


async def test_bare_deflate_data_is_inflated_too() -> None:
    # Some servers send `Content-Encoding: deflate` without zlib's header, as the client allows.
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    body = recordings.openai().body()
    compressed = compressor.compress(body) + compressor.flush()

    async def arriving() -> AsyncIterator[bytes]:
        for start in range(0, len(compressed), 100):
            yield compressed[start : start + 100]

    inflated = [chunk async for chunk in _inflated(arriving(), raw_deflate_allowed=True)]
    assert b"".join(inflated) == body
