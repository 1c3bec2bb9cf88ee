"""The model provider's moderation endpoint, for `safety.Moderator`."""

from __future__ import annotations

import openai

from config import DefaultConfig


class OpenAIModeration:
    """Asks OpenAI's /moderations (or a compatible server's) whether a text is flagged."""

    def __init__(self, config: DefaultConfig) -> None:
        self._client = openai.AsyncOpenAI(
            api_key=config.OPENAI_API_KEY or "not-needed",
            base_url=config.OPENAI_BASE_URL or None,
            timeout=config.MODEL_TIMEOUT_SECONDS,
            max_retries=config.MODEL_MAX_RETRIES,
            http_client=openai.DefaultAioHttpClient(timeout=config.MODEL_TIMEOUT_SECONDS),
        )

    async def flagged(self, text: str) -> bool:
        result = await self._client.moderations.create(input=text)
        return any(item.flagged for item in result.results)

    async def close(self) -> None:
        await self._client.close()
