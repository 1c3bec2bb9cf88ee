"""Chat completions through the `openai` package: OpenAI, Azure OpenAI, or any compatible server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence

import httpx2  # the `openai` package's HTTP client; its errors surface while the body streams
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
        """The answer's text deltas, read from the raw server-sent events.

        The client still builds, authenticates and retries the request; only the streamed body
        is parsed here, because building a typed chunk object per token costs several times
        more CPU than the rest of the bot's work for that token.
        """
        try:
            request = self._client.chat.completions.with_streaming_response.create(
                model=self._model,
                messages=list(messages),
                temperature=self._temperature if temperature is None else temperature,
                stream=True,
            )
            # Leaving this block, also by cancellation, closes the HTTP response: the server
            # sees the connection close and stops generating.
            async with request as response:
                pending = b""
                async for chunk in response.iter_bytes():
                    *lines, pending = (pending + chunk).split(b"\n")
                    for line in lines:
                        delta = _delta(line)
                        if delta is None:
                            return
                        if delta:
                            yield delta
        except httpx2.TimeoutException as error:
            raise ModelError("the model service stopped answering in time") from error
        except httpx2.RequestError as error:
            raise ModelError("the connection to the model service broke") from error
        except openai.APIStatusError as error:
            raise ModelError(f"the model service answered HTTP {error.status_code}") from error
        except openai.APITimeoutError as error:
            raise ModelError("the model service did not answer in time") from error
        except openai.APIConnectionError as error:
            raise ModelError("the model service could not be reached") from error
        except openai.APIError as error:
            raise ModelError("the model service reported an error") from error

    async def close(self) -> None:
        await self._client.close()


def _delta(line: bytes) -> str | None:
    """The text in one server-sent event line; "" for lines without text, None at the end.

    OpenAI-compatible servers send each chunk as one `data:` line of JSON, then `data: [DONE]`.
    Azure also sends chunks without choices (content-filter results), which carry no text.
    """
    if not line.startswith(b"data:"):
        return ""  # a blank separator, a comment (keep-alive) or an event name
    data = line[5:].strip()
    if data == b"[DONE]":
        return None
    try:
        chunk = json.loads(data)
    except ValueError as error:
        raise ModelError("the model service sent a malformed stream") from error
    if not isinstance(chunk, dict):
        raise ModelError("the model service sent a malformed stream")
    if chunk.get("error"):
        raise ModelError("the model service reported an error mid-answer")
    choices = chunk.get("choices")
    if not choices:
        return ""
    delta = choices[0].get("delta") or {}
    return delta.get("content") or ""
