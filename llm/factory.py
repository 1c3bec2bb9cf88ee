"""Builds the configured chat model."""

from __future__ import annotations

import openai

from config import DefaultConfig

from .chat_model import ChatModel
from .circuit_breaker import CircuitBreakerModel
from .offline_model import OfflineChatModel
from .openai_model import OpenAIChatModel

# Local OpenAI-compatible servers (Ollama, vLLM, LM Studio) take any key, but the client needs one.
_KEY_FOR_KEYLESS_SERVERS = "not-needed"


def create_chat_model(config: DefaultConfig) -> ChatModel:
    """The model `config.MODEL_PROVIDER` names, with its client configured from `config`.

    Real models sit behind a circuit breaker; their clients retry connection errors, 429 and 5xx
    before the first token themselves (the `openai` package honours Retry-After).
    """
    if config.MODEL_PROVIDER == "offline":
        return OfflineChatModel(tokens_per_second=config.OFFLINE_MODEL_TOKENS_PER_SECOND)
    return CircuitBreakerModel(
        _openai_model(config),
        failure_threshold=config.MODEL_BREAKER_FAILURES,
        cooldown=config.MODEL_BREAKER_COOLDOWN_SECONDS,
    )


def _openai_model(config: DefaultConfig) -> OpenAIChatModel:
    if config.MODEL_PROVIDER == "azure":
        client: openai.AsyncOpenAI = openai.AsyncAzureOpenAI(
            azure_endpoint=config.AZURE_OPENAI_ENDPOINT,
            api_key=config.AZURE_OPENAI_API_KEY or None,  # None: the client reads AZURE_OPENAI_AD_TOKEN
            api_version=config.AZURE_OPENAI_API_VERSION,
            azure_deployment=config.AZURE_OPENAI_DEPLOYMENT,
            timeout=config.MODEL_TIMEOUT_SECONDS,
            max_retries=config.MODEL_MAX_RETRIES,
            http_client=_http_client(config),
        )
        return OpenAIChatModel(client, config.AZURE_OPENAI_DEPLOYMENT, temperature=config.MODEL_TEMPERATURE)
    client = openai.AsyncOpenAI(
        api_key=config.OPENAI_API_KEY or _KEY_FOR_KEYLESS_SERVERS,
        base_url=config.OPENAI_BASE_URL or None,
        timeout=config.MODEL_TIMEOUT_SECONDS,
        max_retries=config.MODEL_MAX_RETRIES,
        http_client=_http_client(config),
    )
    return OpenAIChatModel(client, config.OPENAI_MODEL, temperature=config.MODEL_TEMPERATURE)


def _http_client(config: DefaultConfig) -> openai.DefaultAioHttpClient:
    """The `openai` package's own aiohttp transport: under load, its default (httpx2 over h11 and
    anyio) spends several times more CPU per streamed token than aiohttp's C parser."""
    return openai.DefaultAioHttpClient(timeout=config.MODEL_TIMEOUT_SECONDS)
