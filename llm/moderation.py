"""The model provider's moderation endpoint, for `safety.Moderator`."""

from __future__ import annotations

import openai


class OpenAIModeration:
    """Asks OpenAI's /moderations (or a compatible server's) whether a text is flagged.

    It asks through the model's `openai` client (see `llm.openai_client`), which the model closes.
    """

    def __init__(self, client: openai.AsyncOpenAI) -> None:
        self._client = client

    async def flagged(self, text: str) -> bool:
        result = await self._client.moderations.create(input=text)
        return any(item.flagged for item in result.results)
