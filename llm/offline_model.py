"""The built-in stand-in used when no model is configured, so the bot runs with no keys.

It understands nothing, and says so. When the knowledge search is offered it still shows what the
bot can do: it searches for the user's words and streams the best passages, cited, as its answer.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import orjson

from .chat_model import PromptMessage, ToolCall, ToolChoice, ToolSpec

_TOKEN = re.compile(r"\s*\S+")
_QUOTE_LIMIT = 200

SEARCH_TOOL = "search_knowledge"
"""The tool the offline model calls when it is offered (knowledge/knowledge_tool.py names it so)."""
_SEARCH_CALL_ID = "offline_search"
_PASSAGES_SHOWN = 3
_EXCERPT_LIMIT = 280
_HEADING = re.compile(r"^\[(\d{1,4})\] (.+?)(?: <[^>]*>)?$")
_FENCE_LINE = re.compile(r"^\s*(```|~~~).*$", re.MULTILINE)
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_SPACE = re.compile(r"\s+")

_CONFIGURE = (
    "To connect a real model, set one of these and restart the bot:\n"
    "- `OPENAI_API_KEY` (and `OPENAI_MODEL`) for OpenAI;\n"
    "- `OPENAI_BASE_URL` for any OpenAI-compatible server, such as Ollama, vLLM or LM Studio;\n"
    "- `AZURE_OPENAI_ENDPOINT`, `AZURE_OPENAI_API_KEY` and `AZURE_OPENAI_DEPLOYMENT` "
    "for Azure OpenAI.\n\n"
    "The README lists every setting."
)


@dataclass(frozen=True)
class FoundPassage:
    """A passage the knowledge search returned, under the number the answer cites it by."""

    number: int
    name: str
    text: str


def offline_answer(question: str) -> str:
    """The offline model's whole answer: what it is, what the user wrote, how to configure a model."""
    return (
        "**No language model is configured**, so the bot's built-in offline model is answering. "
        "It does not understand your message; it streams this fixed text so that you can see "
        "how a streamed answer looks on your channel.\n\n"
        f"You wrote: “{_quoted(question)}”\n\n{_CONFIGURE}"
    )


def knowledge_answer(question: str, passages: Sequence[FoundPassage]) -> str:
    """The offline model's answer when the knowledge search found passages: the best ones, cited."""
    # One paragraph each, not a list: the Agents Playground draws citation markers in paragraphs only.
    shown = "\n\n".join(f"**{found.name}**: {_excerpt(found.text)} [{found.number}]" for found in passages)
    return (
        "**No language model is configured**, so the bot's built-in offline model is answering. "
        "It cannot write an answer, but it searched the knowledge base for "
        f"“{_quoted(question)}”, and these passages match best:\n\n{shown}\n\n"
        "A language model would answer from them in its own words. " + _CONFIGURE
    )


def found_passages(tool_result: str) -> list[FoundPassage]:
    """The passages in a knowledge search's result as the model reads it: `[n] name` then the passage."""
    found: list[FoundPassage] = []
    number, name, lines = 0, "", []
    for line in [*tool_result.splitlines(), "[0] end"]:
        heading = _HEADING.match(line)
        if heading is None:
            lines.append(line)
            continue
        if number and "\n".join(lines).strip():
            found.append(FoundPassage(number, name, "\n".join(lines)))
        number, name, lines = int(heading.group(1)), heading.group(2).strip(), []
    return found


class OfflineChatModel:
    """Streams `offline_answer`, or `knowledge_answer` after a search, at a language model's pace."""

    description = "the built-in offline model (no language model is configured)"

    def __init__(self, *, tokens_per_second: float, first_token_delay: float = 0.5) -> None:
        self._token_delay = 1.0 / tokens_per_second
        self._first_token_delay = first_token_delay

    async def stream_chat(
        self,
        messages: Sequence[PromptMessage],
        *,
        temperature: float | None = None,
        tools: Sequence[ToolSpec] = (),
        tool_choice: ToolChoice = "auto",
    ) -> AsyncIterator[str | ToolCall]:
        """A knowledge search for the question when it is offered, then the answer from what it found."""
        question = next((str(m["content"]) for m in reversed(messages) if m["role"] == "user"), "")
        await asyncio.sleep(self._first_token_delay)
        last = messages[-1] if messages else None
        if last is not None and last["role"] == "tool" and last.get("tool_call_id") == _SEARCH_CALL_ID:
            found = found_passages(last["content"])[:_PASSAGES_SHOWN]
            answer = knowledge_answer(question, found) if found else offline_answer(question)
        elif tool_choice == "auto" and any(tool.name == SEARCH_TOOL for tool in tools) and question.strip():
            yield ToolCall(_SEARCH_CALL_ID, SEARCH_TOOL, orjson.dumps({"query": question}).decode())
            return
        else:
            answer = offline_answer(question)
        for match in _TOKEN.finditer(answer):
            yield match.group()
            await asyncio.sleep(self._token_delay)

    async def check_ready(self, within: float) -> str:
        """Always ready: there is no service to reach."""
        return "the offline model needs no service"

    async def close(self) -> None:
        """Nothing to release."""


def _quoted(question: str) -> str:
    """The user's words on one line, shortened."""
    quoted = " ".join(question.split())
    return quoted[:_QUOTE_LIMIT] + "…" if len(quoted) > _QUOTE_LIMIT else quoted


def _excerpt(passage: str) -> str:
    """A passage's start on one line, cut at a word; links as their text, no fences or odd code marks."""
    text = _SPACE.sub(" ", _LINK.sub(r"\1", _FENCE_LINE.sub(" ", passage))).strip()
    if len(text) > _EXCERPT_LIMIT:
        cut = text[: _EXCERPT_LIMIT - 1]
        text = cut[: cut.rfind(" ")] if cut.rfind(" ") > _EXCERPT_LIMIT // 2 else cut
        text = text.rstrip(" ,;:.-") + "…"
    return text.replace("`", "") if text.count("`") % 2 else text
