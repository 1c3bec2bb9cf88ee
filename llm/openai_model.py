"""Chat completions through the `openai` package: OpenAI, Azure OpenAI, or any compatible server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import openai

from .chat_model import ChatMessage, ModelError


class OpenAIChatModel:
    """Streams answers from `client.chat.completions.create(stream=True)`.

    `client` is an `AsyncOpenAI` or `AsyncAzureOpenAI`; for Azure, `model` is the deployment name.
    The client keeps its own configuration, authentication and retries of the initial request.
    """

    def __init__(self, client: openai.AsyncOpenAI, model: str, *, temperature: float) -> None:
        self._client = client
        self._model = model
        self._temperature = temperature
        self.description = f"{type(client).__name__} model {model!r} at {client.base_url}"

    async def stream_chat(
        self, messages: Sequence[ChatMessage], *, temperature: float | None = None
    ) -> AsyncIterator[str]:
        try:
            stream = await self._client.chat.completions.create(
                model=self._model,
                messages=list(messages),
                temperature=self._temperature if temperature is None else temperature,
                stream=True,
            )
            # Leaving this block, also by cancellation, closes the HTTP response: the server
            # sees the connection close and stops generating.
            async with stream:
                async for chunk in stream:
                    # Azure sends chunks without choices (content-filter results); skip them.
                    if chunk.choices and chunk.choices[0].delta.content:
                        yield chunk.choices[0].delta.content
        except openai.APIStatusError as error:
            raise ModelError(f"the model service answered HTTP {error.status_code}") from error
        except openai.APITimeoutError as error:
            raise ModelError("the model service did not answer in time") from error
        except openai.APIConnectionError as error:
            raise ModelError("the model service could not be reached") from error
        except openai.APIError as error:
            raise ModelError("the model service reported an error") from error

    async def check_ready(self, within: float) -> str:
        """Whether the model service answers: one request for its model list, not retried.

        Listing models costs no tokens. A server that has no model list (404) or asks to slow down
        (429) is reachable; no connection, no answer in time, refused credentials (401/403) or a
        server error (5xx) is not.
        """
        try:
            await self._client.with_options(timeout=within, max_retries=0).models.list()
        except (openai.NotFoundError, openai.RateLimitError) as error:
            return f"the model service answered HTTP {error.status_code}"
        except openai.APIStatusError as error:
            raise ModelError(f"the model service answered HTTP {error.status_code}") from error
        except openai.APITimeoutError as error:
            raise ModelError("the model service did not answer in time") from error
        except openai.APIConnectionError as error:
            raise ModelError("the model service could not be reached") from error
        return "the model service answered"

    async def close(self) -> None:
        await self._client.close()
