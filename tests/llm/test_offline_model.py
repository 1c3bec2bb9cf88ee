"""The offline stand-in: honest about what it is, and streamed at a visible pace."""

from __future__ import annotations

import json
import time

from config import DefaultConfig
from llm import create_chat_model
from llm.chat_model import ToolCall
from llm.offline_model import SEARCH_TOOL, OfflineChatModel, found_passages, knowledge_answer, offline_answer


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


RESULT = (
    "Passages from the knowledge base that match the search, best first.\n\n"
    "Sources. When you use one, cite it by its number in square brackets, such as [1].\n\n"
    "[1] Travel policy: Hotels <https://example.org/travel#hotels>\n"
    "Hotels up to 180 euros a night; keep the receipt.\n\n"
    "[2] Travel policy: Claiming expenses\n"
    "Submit receipts within thirty days:\n\n```text\nexpenses portal\n```\n\nSee [the portal](https://x)."
)


class Spec:
    """A tool as the model is told of it."""

    def __init__(self, name: str) -> None:
        self.name, self.description, self.parameters = name, "", {}


async def run(model: OfflineChatModel, messages: list, **kwargs: object) -> list:
    return [delta async for delta in model.stream_chat(messages, **kwargs)]


async def test_offered_the_knowledge_search_it_searches_for_the_question_first() -> None:
    model = OfflineChatModel(tokens_per_second=1000, first_token_delay=0.0)
    question = [{"role": "user", "content": 'Hotel "limits"?'}]

    [call] = await run(model, question, tools=[Spec("lookup"), Spec(SEARCH_TOOL)])

    assert isinstance(call, ToolCall)
    assert (call.name, json.loads(call.arguments)) == (SEARCH_TOOL, {"query": 'Hotel "limits"?'})
    # Not when it must answer in text, nor when the search is not offered.
    assert "".join(
        await run(model, question, tools=[Spec(SEARCH_TOOL)], tool_choice="none")
    ) == offline_answer('Hotel "limits"?')
    assert "".join(await run(model, question, tools=[Spec("lookup")])) == offline_answer('Hotel "limits"?')


async def test_after_the_search_it_streams_the_passages_found_cited_by_their_numbers() -> None:
    model = OfflineChatModel(tokens_per_second=1000, first_token_delay=0.0)
    [call] = await run(model, [{"role": "user", "content": "hotel?"}], tools=[Spec(SEARCH_TOOL)])
    messages = [
        {"role": "user", "content": "hotel?"},
        {"role": "assistant", "content": None, "tool_calls": [call.wire()]},
        {"role": "tool", "tool_call_id": call.id, "content": RESULT},
    ]

    answer = "".join(await run(model, messages, tools=[Spec(SEARCH_TOOL)]))

    assert answer == knowledge_answer("hotel?", found_passages(RESULT))
    assert answer.startswith("**No language model is configured**")
    assert "**Travel policy: Hotels**: Hotels up to 180 euros a night; keep the receipt. [1]" in answer
    # Code fences go, links keep their text: one line per passage.
    assert (
        "**Travel policy: Claiming expenses**: Submit receipts within thirty days: expenses portal "
        "See the portal. [2]" in answer
    )
    assert "OPENAI_API_KEY" in answer


def test_the_passages_are_read_from_the_search_result_under_their_numbers() -> None:
    found = found_passages(RESULT)
    assert [(p.number, p.name) for p in found] == [
        (1, "Travel policy: Hotels"),
        (2, "Travel policy: Claiming expenses"),
    ]
    assert found_passages("No passage in the knowledge base matches that search.") == []


async def test_with_nothing_found_it_gives_its_fixed_answer() -> None:
    model = OfflineChatModel(tokens_per_second=1000, first_token_delay=0.0)
    messages = [
        {"role": "user", "content": "hello"},
        {"role": "tool", "tool_call_id": "offline_search", "content": "No passage matches that search."},
    ]
    assert "".join(await run(model, messages)) == offline_answer("hello")


def test_long_passages_are_cut_at_a_word() -> None:
    [passage] = found_passages("[1] Long\n" + "word " * 200)
    shown = knowledge_answer("q", [passage])
    line = next(line for line in shown.splitlines() if line.startswith("**Long**"))
    assert line.endswith("… [1]") and len(line) < 320
