"""The offline stand-in: honest about what it is, and streamed at a visible pace."""

from __future__ import annotations

import time

from config import DefaultConfig
from llm import create_chat_model
from llm.offline_model import OfflineChatModel, offline_answer


def test_is_the_default_when_no_model_is_configured() -> None:
    assert isinstance(create_chat_model(DefaultConfig({}).model), OfflineChatModel)


def test_answer_says_no_model_is_configured_and_how_to_configure_one() -> None:
    answer = offline_answer("What is the capital of France?")
    assert "No language model is configured" in answer
    assert "“What is the capital of France?”" in answer
    for setting in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_DEPLOYMENT"):
        assert setting in answer


def test_long_questions_are_quoted_shortened() -> None:
    answer = offline_answer("word " * 500)
    assert "word word" in answer and "…”" in answer
    assert len(answer) < 1500


async def test_streams_word_by_word_at_the_configured_pace() -> None:
    model = OfflineChatModel(tokens_per_second=200, first_token_delay=0.0)
    started = time.monotonic()
    deltas = [delta async for delta in model.stream_chat([{"role": "user", "content": "Hi there"}])]
    elapsed = time.monotonic() - started
    assert "".join(deltas) == offline_answer("Hi there")
    assert len(deltas) > 50
    assert elapsed >= (len(deltas) - 1) / 200  # never faster than its pace
