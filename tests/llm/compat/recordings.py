"""Streamed chat completion bodies in the shapes real model servers send, for the replay server.

Each shape is taken from the server's documentation or source (cited at each builder), never
from this project's parser: key order, separators, escaping and line ends are the server's.
The texts are ours: ANSWER is what the user should end up with, REASONING what they never see.
"""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import ANSWER_TOKENS
from tests.support.replay_server import Ending, Pause, Recording

ANSWER_WORDS = ANSWER_TOKENS  # the same sentence the other tests stream
ANSWER = "".join(ANSWER_WORDS)
REASONING_WORDS = [
    "Okay,", " the", " user", " wants", " to", " know", " why", " streaming", " helps.", " Let",
    " me", " think", " it", " through", " quietly", " before", " answering.",
]  # fmt: skip
REASONING = "".join(REASONING_WORDS)
REASONING_MARKS = ("user wants", "through quietly")
"""Pieces of the reasoning that must never reach the user or the history."""
LONG_ANSWER_WORDS = [f" word{number}" for number in range(1, 41)]
"""Forty words, for the connection that drops."""


def _compact(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def _sse(data: str, *, prefix: str = "data: ", line_end: str = "\n") -> bytes:
    """One event: a data line and the blank line that ends it."""
    return f"{prefix}{data}{line_end}{line_end}".encode()


# ---- OpenAI ------------------------------------------------------------------------------------
# API reference, "The chat completion chunk object" and "stream_options": a first chunk with the
# role and empty content, text in delta.content, a last chunk with an empty delta and the
# finish_reason; with include_usage every chunk has "usage":null and one more chunk follows with
# "choices":[] and the usage; with include_obfuscation (on by default) chunks carry random padding
# in "obfuscation". Errors after the stream began: `data: {"error": {...}}` (openai-python's
# _streaming.py raises on it). The body ends with `data: [DONE]`.


def _openai(choice: dict[str, Any] | None, *, usage: dict[str, int] | None = None) -> bytes:
    chunk: dict[str, Any] = {
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "object": "chat.completion.chunk",
        "created": 1741569952,
        "model": "gpt-4o-mini-2024-07-18",
        "service_tier": "default",
        "system_fingerprint": "fp_06737a9306",
        "choices": [choice] if choice else [],
        "usage": usage,
        "obfuscation": "Yq2",
    }
    return _sse(_compact(chunk))


def _openai_delta(delta: dict[str, str], finish_reason: str | None = None) -> bytes:
    return _openai({"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason})


def openai(finish_reason: str = "stop") -> Recording:
    """A whole answer, with the usage chunk; `finish_reason` `length` when max_tokens ran out."""
    return Recording(
        (
            _openai_delta({"role": "assistant", "content": "", "refusal": None}),
            *(_openai_delta({"content": word}) for word in ANSWER_WORDS),
            _openai_delta({}, finish_reason),
            _openai(None, usage={"prompt_tokens": 19, "completion_tokens": 11, "total_tokens": 30}),
            b"data: [DONE]\n\n",
        )
    )


def openai_error_after(words: int) -> Recording:
    """A server error after `words` words: the error event, then the body ends."""
    error = {
        "error": {
            "message": "The server had an error while processing your request. Sorry about that!",
            "type": "server_error",
            "param": None,
            "code": None,
        }
    }
    return Recording(
        (
            _openai_delta({"role": "assistant", "content": "", "refusal": None}),
            *(_openai_delta({"content": word}) for word in ANSWER_WORDS[:words]),
            _sse(_compact(error)),
        )
    )


# ---- Azure OpenAI ------------------------------------------------------------------------------
# Microsoft Learn, "Content streaming" (azure/ai-foundry/openai/concepts/content-streaming), the
# sample streams of the Asynchronous Filter: first a chunk with "choices":[] and the
# prompt_filter_results; the role chunk; text chunks with "usage":null; annotation chunks with
# "id":"" and content_filter_results and content_filter_offsets but no delta; the finish chunk;
# and when the filter stops the answer, an annotation chunk with finish_reason content_filter.

_AZURE_SAFE = {
    "hate": {"filtered": False, "severity": "safe"},
    "self_harm": {"filtered": False, "severity": "safe"},
    "sexual": {"filtered": False, "severity": "safe"},
    "violence": {"filtered": False, "severity": "safe"},
}


def _azure(choices: list[dict[str, Any]], **extra: Any) -> bytes:
    return _sse(
        _compact(
            {"id": "", "object": "", "created": 0, "model": "", **extra, "choices": choices, "usage": None}
        )
    )


def _azure_delta(delta: dict[str, str], finish_reason: str | None = None) -> bytes:
    chunk = {
        "id": "chatcmpl-8JCbt5d4luUIhYCI7YH4dQK7hnHx2",
        "object": "chat.completion.chunk",
        "created": 1699587397,
        "model": "gpt-35-turbo",
        "choices": [{"index": 0, "finish_reason": finish_reason, "delta": delta}],
        "usage": None,
    }
    return _sse(_compact(chunk))


def _azure_annotation(
    check: int, start: int, end: int, finish_reason: str | None = None, **results: Any
) -> bytes:
    choice = {
        "index": 0,
        "finish_reason": finish_reason,
        "content_filter_results": results or _AZURE_SAFE,
        "content_filter_offsets": {"check_offset": check, "start_offset": start, "end_offset": end},
    }
    return _azure([choice])


def azure(*, filtered_after: int | None = None) -> Recording:
    """The Asynchronous Filter passing the whole answer, or stopping it after `filtered_after` words."""
    words = ANSWER_WORDS if filtered_after is None else ANSWER_WORDS[:filtered_after]
    if filtered_after is None:
        ending: tuple[bytes, ...] = (_azure_delta({}, "stop"), _azure_annotation(506, 44, 571))
    else:
        blocked = {"protected_material_text": {"detected": True, "filtered": True}}
        ending = (_azure_annotation(65, 65, 1056, "content_filter", **blocked),)
    return Recording(
        (
            _azure([], prompt_filter_results=[{"prompt_index": 0, "content_filter_results": _AZURE_SAFE}]),
            _azure_delta({"role": "assistant"}),
            *(_azure_delta({"content": word}) for word in words[:3]),
            _azure_annotation(44, 44, 198),
            *(_azure_delta({"content": word}) for word in words[3:]),
            *ending,
            b"data: [DONE]\n\n",
        )
    )


# ---- Ollama ------------------------------------------------------------------------------------
# ollama/ollama openai/openai.go (ChatCompletionChunk, ChunkChoice, ToChunk) and
# middleware/openai.go (ChatWriter): Go's encoding/json, so compact, and "<", ">" escaped as
# \u003c, \u003e; every delta has the role and the content (no omitempty), "reasoning" only when
# the model thinks (thinking is on by default for models that can, server/routes.go); events are
# `data: %s\n\n`, then `data: [DONE]\n\n`. Before Ollama parsed thinking, a reasoning model's
# <think> block came inside the content.


def _go_json(payload: dict[str, Any]) -> str:
    return _compact(payload).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _ollama(model: str, content: str, *, reasoning: str = "", finish_reason: str | None = None) -> bytes:
    delta = {"role": "assistant", "content": content} | ({"reasoning": reasoning} if reasoning else {})
    chunk = {
        "id": "chatcmpl-542",
        "object": "chat.completion.chunk",
        "created": 1750412345,
        "model": model,
        "system_fingerprint": "fp_ollama",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }
    return _sse(_go_json(chunk))


def _thinking_in_steps(chunks: list[bytes], seconds: float) -> tuple[bytes | Pause, ...]:
    """`chunks` spread over `seconds`: a model that reasons for that long."""
    pause = Pause(seconds / len(chunks))
    return tuple(part for chunk in chunks for part in (chunk, pause))


def ollama_reasoning(seconds: float) -> Recording:
    """qwen3 on a current Ollama: reasoning in delta.reasoning for `seconds`, then the answer."""
    model = "qwen3:8b"
    return Recording(
        (
            *_thinking_in_steps([_ollama(model, "", reasoning=word) for word in REASONING_WORDS], seconds),
            *(_ollama(model, word) for word in ANSWER_WORDS),
            _ollama(model, "", finish_reason="stop"),
            b"data: [DONE]\n\n",
        )
    )


def ollama_think_in_content() -> Recording:
    """deepseek-r1 on an Ollama from before it parsed thinking: a <think> block in the content."""
    model = "deepseek-r1:8b"
    thinking = ["<think>", "\n", *REASONING_WORDS, "\n", "</think>", "\n\n"]
    return Recording(
        (
            *(_ollama(model, piece) for piece in thinking),
            *(_ollama(model, word) for word in ANSWER_WORDS),
            _ollama(model, "", finish_reason="stop"),
            b"data: [DONE]\n\n",
        )
    )


# ---- vLLM --------------------------------------------------------------------------------------
# vllm-project/vllm entrypoints/openai/serving_chat.py (chat_completion_stream_generator) and
# protocol.py: pydantic's model_dump_json(exclude_unset=True), compact; a first chunk with the
# role and empty content; each choice has logprobs and finish_reason, the last also stop_reason;
# `data: {...}\n\n`, then `data: [DONE]\n\n`. With --reasoning-parser the reasoning is in
# delta.reasoning_content (docs, "Reasoning Outputs", v0.7-0.9; later versions call it
# "reasoning"); without one, Qwen3's reasoning stays in the content, in a <think> block.
# A mid-stream error is `data: {"error": {...ErrorResponse...}}` followed by [DONE]
# (create_streaming_error_response).


def _vllm(model: str, delta: dict[str, str], finish_reason: str | None = None) -> bytes:
    choice: dict[str, Any] = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
    if finish_reason:
        choice["stop_reason"] = None
    chunk = {
        "id": "chatcmpl-6a3f2b6ef9d44b0e9b3c1f0c2d1e4a5b",
        "object": "chat.completion.chunk",
        "created": 1741234567,
        "model": model,
        "choices": [choice],
    }
    return _sse(_compact(chunk))


def vllm_reasoning_content(seconds: float, finish_reason: str = "stop") -> Recording:
    """DeepSeek-R1 behind vLLM's deepseek_r1 reasoning parser."""
    model = "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"
    return Recording(
        (
            _vllm(model, {"role": "assistant", "content": ""}),
            *_thinking_in_steps(
                [_vllm(model, {"reasoning_content": word}) for word in REASONING_WORDS], seconds
            ),
            *(_vllm(model, {"content": word}) for word in ANSWER_WORDS),
            _vllm(model, {"content": ""}, finish_reason),
            b"data: [DONE]\n\n",
        )
    )


def vllm_think_in_content() -> Recording:
    """Qwen3 behind vLLM without a reasoning parser: the <think> block in the content."""
    model = "Qwen/Qwen3-8B"
    thinking = ["<think>", "\n", *REASONING_WORDS, "\n", "</think>", "\n\n"]
    return Recording(
        (
            _vllm(model, {"role": "assistant", "content": ""}),
            *(_vllm(model, {"content": piece}) for piece in thinking),
            *(_vllm(model, {"content": word}) for word in ANSWER_WORDS),
            _vllm(model, {"content": ""}, "stop"),
            b"data: [DONE]\n\n",
        )
    )


def vllm_error_after(words: int) -> Recording:
    """An engine error after `words` words: vLLM's error event, then [DONE] as usual."""
    model = "meta-llama/Llama-3.1-8B-Instruct"
    error = {
        "object": "error",
        "message": "The engine died unexpectedly.",
        "type": "InternalServerError",
        "param": None,
        "code": 500,
    }
    return Recording(
        (
            _vllm(model, {"role": "assistant", "content": ""}),
            *(_vllm(model, {"content": word}) for word in ANSWER_WORDS[:words]),
            _sse(json.dumps({"error": error})),
            b"data: [DONE]\n\n",
        )
    )


def vllm_dropped_after_forty_words(content_encoding: str | None = None) -> Recording:
    """Forty words, the last thirty-five while the bot waits to read, then the connection drops."""
    model = "meta-llama/Llama-3.1-8B-Instruct"
    return Recording(
        (
            _vllm(model, {"role": "assistant", "content": ""})
            + b"".join(_vllm(model, {"content": word}) for word in LONG_ANSWER_WORDS[:5]),
            Pause(0.3),
            b"".join(_vllm(model, {"content": word}) for word in LONG_ANSWER_WORDS[5:]),
        ),
        Ending.DROP,
        content_encoding,
    )


# ---- OpenRouter --------------------------------------------------------------------------------
# openrouter.ai/docs, "API reference: Streaming": SSE comments `: OPENROUTER PROCESSING` keep the
# connection alive while the model works; "Reasoning tokens": reasoning streams in delta.reasoning
# (with reasoning_details); chunks carry "provider", and choices "native_finish_reason".


def _openrouter(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
    chunk = {
        "id": "gen-1741234567-Xq3lA0bdXBvLcDDwI9Aa",
        "provider": "DeepInfra",
        "model": "deepseek/deepseek-r1",
        "object": "chat.completion.chunk",
        "created": 1741234567,
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", **delta},
                "finish_reason": finish_reason,
                "native_finish_reason": finish_reason,
                "logprobs": None,
            }
        ],
    }
    return _sse(_compact(chunk))


def openrouter_processing_then_reasoning(quiet_seconds: float, reasoning_seconds: float) -> Recording:
    """Only `: OPENROUTER PROCESSING` for `quiet_seconds`, then reasoning, then the answer."""
    comments = [b": OPENROUTER PROCESSING\n\n"] * max(2, int(quiet_seconds / 0.3))
    reasoning = [
        _openrouter(
            {
                "content": "",
                "reasoning": word,
                "reasoning_details": [{"type": "reasoning.text", "text": word}],
            }
        )
        for word in REASONING_WORDS
    ]
    return Recording(
        (
            *_thinking_in_steps(comments, quiet_seconds),
            *_thinking_in_steps(reasoning, reasoning_seconds),
            *(_openrouter({"content": word, "reasoning": None}) for word in ANSWER_WORDS),
            _openrouter({"content": "", "reasoning": None}, "stop"),
            b"data: [DONE]\n\n",
        )
    )


# ---- Line ends and field spacing -----------------------------------------------------------------
# sysid/sse-starlette sse_starlette/event.py: ServerSentEvent.DEFAULT_SEPARATOR is "\r\n", and
# its ping is a `: ping - <time>` comment; Xinference (xinference/api/restful_api.py) streams its
# chat chunks (json.dumps, with spaces) through EventSourceResponse with that default.
# tokio-rs/axum axum/src/response/sse.rs: Event::json_data writes `data:` with no space before
# the JSON and the default keep-alive is an empty comment `:\n\n`; Hugging Face's
# text-generation-inference streams its OpenAI-compatible chunks that way.


def xinference_crlf() -> Recording:
    """Xinference: CRLF line ends, JSON with spaces, a ping comment on the way."""

    def chunk(delta: dict[str, str], finish_reason: str | None = None) -> bytes:
        payload = {
            "id": "chatd9bc6a3e-3f1c-11f0-9c2b-0242ac120002",
            "model": "qwen2.5-instruct",
            "object": "chat.completion.chunk",
            "created": 1741234567,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
        return _sse(json.dumps(payload), line_end="\r\n")

    return Recording(
        (
            chunk({"role": "assistant", "content": ""}),
            *(chunk({"content": word}) for word in ANSWER_WORDS[:4]),
            b": ping - 2025-06-01 10:00:15.000123+00:00\r\n\r\n",
            *(chunk({"content": word}) for word in ANSWER_WORDS[4:]),
            chunk({"content": ""}, "stop"),
            _sse("[DONE]", line_end="\r\n"),
        )
    )


def tgi_no_space(finish_reason: str = "stop") -> Recording:
    """text-generation-inference: `data:` with no space, an empty keep-alive comment on the way."""

    def chunk(content: str, finish: str | None = None) -> bytes:
        payload = {
            "object": "chat.completion.chunk",
            "id": "",
            "created": 1741234567,
            "model": "meta-llama/Llama-3.1-8B-Instruct",
            "system_fingerprint": "3.1.1-sha-bb9095a",
            "choices": [
                {
                    "index": 0,
                    "delta": {"role": "assistant", "content": content},
                    "logprobs": None,
                    "finish_reason": finish,
                }
            ],
            "usage": None,
        }
        return _sse(_compact(payload), prefix="data:")

    return Recording(
        (
            *(chunk(word) for word in ANSWER_WORDS[:6]),
            b":\n\n",
            *(chunk(word) for word in ANSWER_WORDS[6:]),
            chunk("", finish_reason),
            b"data:[DONE]\n\n",
        )
    )


def short_answer() -> Recording:
    """A plain one-word answer, for the question that follows and shows the history."""
    return Recording(
        (
            _openai_delta({"role": "assistant", "content": "Yes."}),
            _openai_delta({}, "stop"),
            b"data: [DONE]\n\n",
        )
    )
