"""Builds the configured chat model, and the one `openai` client it shares with the moderation check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import openai

from .chat_model import ChatModel
from .circuit_breaker import CircuitBreakerModel
from .offline_model import OfflineChatModel
from .openai_model import OpenAIChatModel

ModelProvider = Literal["offline", "openai", "azure"]

# Local OpenAI-compatible servers (Ollama, vLLM, LM Studio) take any key, but the client needs one.
_KEY_FOR_KEYLESS_SERVERS = "not-needed"


@dataclass(frozen=True)
class ModelSettings:
    """Which model answers and how its client connects; only `provider`'s own connection settings are used."""

    provider: ModelProvider = "offline"
    openai_api_key: str = ""
    openai_base_url: str = ""  # any OpenAI-compatible server; empty: OpenAI's
    openai_model: str = "gpt-4o-mini"
    azure_endpoint: str = ""
    azure_api_key: str = ""  # empty: the client reads AZURE_OPENAI_AD_TOKEN
    azure_api_version: str = "2024-10-21"
    azure_deployment: str = ""
    temperature: float = 0.7
    timeout: float = 60.0  # the client's: connecting, sending, a whole non-streamed request
    max_retries: int = 2  # the client's, of connection errors, 429 and 5xx before the first token
    breaker_failures: int = 5  # failed answers in a row that open the circuit
    breaker_cooldown: float = 30.0
    offline_tokens_per_second: float = 20.0


def create_chat_model(settings: ModelSettings, client: openai.AsyncOpenAI | None = None) -> ChatModel:
    """The model `settings.provider` names; a real one answers through `client` (the shared one from
    `openai_client`), or through a client of its own when none is given.

    Real models sit behind a circuit breaker; their clients retry connection errors, 429 and 5xx
    before the first token themselves (the `openai` package honours Retry-After).
    """
    if settings.provider == "offline":
        return OfflineChatModel(tokens_per_second=settings.offline_tokens_per_second)
    name = settings.azure_deployment if settings.provider == "azure" else settings.openai_model
    return CircuitBreakerModel(
        OpenAIChatModel(client or _client(settings), name, temperature=settings.temperature),
        failure_threshold=settings.breaker_failures,
        cooldown=settings.breaker_cooldown,
    )


def openai_client(settings: ModelSettings) -> openai.AsyncOpenAI | None:
    """The `openai` client of the configured provider, None for the offline model.

    The bot builds one and gives it to the model and to the moderation check, so that they share its
    connections; the model closes it.
    """
    return None if settings.provider == "offline" else _client(settings)


def _client(settings: ModelSettings) -> openai.AsyncOpenAI:
    # The `openai` package's own aiohttp transport: under load, its default (httpx2 over h11 and anyio)
    # spends several times more CPU per streamed token than aiohttp's C parser.
    http_client = openai.DefaultAioHttpClient(timeout=settings.timeout)
    if settings.provider == "azure":
        return openai.AsyncAzureOpenAI(
            azure_endpoint=settings.azure_endpoint,
            api_key=settings.azure_api_key or None,  # None: the client reads AZURE_OPENAI_AD_TOKEN
            api_version=settings.azure_api_version,
            azure_deployment=settings.azure_deployment,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
            http_client=http_client,
        )
    return openai.AsyncOpenAI(
        api_key=settings.openai_api_key or _KEY_FOR_KEYLESS_SERVERS,
        base_url=settings.openai_base_url or None,
        timeout=settings.timeout,
        max_retries=settings.max_retries,
        http_client=http_client,
    )
