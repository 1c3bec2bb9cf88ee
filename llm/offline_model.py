"""The built-in stand-in used when no model is configured, so the bot runs with no keys."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence

from .chat_model import PromptMessage, ToolChoice, ToolSpec

_TOKEN = re.compile(r"\s*\S+")
_QUOTE_LIMIT = 200


def offline_answer(question: str) -> str:
    """The offline model's whole answer: what it is, what the user wrote, how to configure a model."""
    quoted = " ".join(question.split())
    if len(quoted) > _QUOTE_LIMIT:
        quoted = quoted[:_QUOTE_LIMIT] + "…"
    return (
        "**No language model is configured**, so the bot's built-in offline model is answering. "
        "It does not understand your message; it streams this fixed text so that you can see "
        "how a streamed answer looks on your channel.\n\n"
        f"You wrote: “{quoted}”\n\n"
        "To connect a real model, set one of these and restart the bot:\n"
        "- `OPENAI_API_KEY` (and `OPENAI_MODEL`) for OpenAI;\n"
        "- `OPENAI_BASE_URL` for any OpenAI-compatible server, such as Ollama, vLLM or LM Studio;\n"
        "- `AZURE_OPENAI_ENDPOINT`, `AZURE_OPENAI_API_KEY` and `AZURE_OPENAI_DEPLOYMENT` "
        "for Azure OpenAI.\n\n"
        "The README lists every setting."
    )


class OfflineChatModel:
    """Streams `offline_answer` word by word at a language model's pace."""

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
    ) -> AsyncIterator[str]:
        """The fixed answer, whatever tools are offered: it calls none."""
        question = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        await asyncio.sleep(self._first_token_delay)
        for match in _TOKEN.finditer(offline_answer(question)):
            yield match.group()
            await asyncio.sleep(self._token_delay)

    async def check_ready(self, within: float) -> str:
        """Always ready: there is no service to reach."""
        return "the offline model needs no service"

    async def close(self) -> None:
        """Nothing to release."""
