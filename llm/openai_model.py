"""Chat completions through the `openai` package: OpenAI, Azure OpenAI, or any compatible server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import aiohttp
import httpx2  # the `openai` package's HTTP client; its errors surface while the body streams
import openai
import orjson
from openai._response import AsyncAPIResponse

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

    streams_ahead = True
    """The answer keeps arriving in the connection's buffer while nobody reads it (see ChatModel)."""

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
                # The messages travel in extra_body: the client's type-driven transform would walk
                # every message (about 0.1 ms each, per request), and role/content dicts need none.
                messages=[],
                extra_body={"messages": list(messages)},
                temperature=self._temperature if temperature is None else temperature,
                stream=True,
                timeout=self._stream_timeout(),
            )
            # Leaving this block, also by cancellation, closes the HTTP response: the server
            # sees the connection close and stops generating.
            async with request as response:
                events = _EventReader()
                async for chunk in _body_chunks(response):
                    # One piece per read, however many events it holds: a caller that reads in
                    # batches (see `streams_ahead`) gets a batch in one step.
                    text = events.feed(chunk)
                    if text:
                        yield text
                    if events.failure is not None:
                        raise events.failure
                    if events.done:
                        return
                if not events.finished:
                    # The body ended without a finish reason or [DONE]: the answer was cut off.
                    raise ModelError("the connection to the model service broke")
        except (httpx2.RequestError, openai.APIConnectionError, aiohttp.ClientError, TimeoutError) as error:
            raise ModelError(_connection_problem(error)) from error
        except openai.APIStatusError as error:
            raise ModelError(f"the model service answered HTTP {error.status_code}") from error
        except openai.APIError as error:
            raise ModelError("the model service reported an error") from error

    def _stream_timeout(self) -> httpx2.Timeout:
        """The client's timeouts without the per-read one, for a streamed answer.

        aiohttp re-arms a read timer for every chunk it receives, a cost per token; a silent stream
        is ended instead by the answer's own idle watchdog (`MODEL_IDLE_TIMEOUT_SECONDS`).
        """
        configured = self._client.timeout
        if isinstance(configured, httpx2.Timeout):
            return httpx2.Timeout(
                connect=configured.connect, read=None, write=configured.write, pool=configured.pool
            )
        return httpx2.Timeout(configured, read=None)

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
        except openai.APIConnectionError as error:
            raise ModelError(_connection_problem(error)) from error
        return "the model service answered"

    async def close(self) -> None:
        await self._client.close()


def _body_chunks(response: AsyncAPIResponse[object]) -> AsyncIterator[bytes]:
    """The streamed body's bytes as they arrive; from aiohttp itself when it carries the response.

    The client's aiohttp transport hands the body up through four layers of async generators
    (transport, httpx2's raw and decoded iterators, the `openai` response), a cost per token that
    under load is a large part of the bot's CPU. An encoded body (gzip…) still takes that path,
    which decodes it.
    """
    stream = response.http_response.stream
    stream = getattr(stream, "_stream", stream)  # httpx2's timing wrapper around the transport's
    aiohttp_response = getattr(stream, "_aiohttp_response", None)
    encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
    if isinstance(aiohttp_response, aiohttp.ClientResponse) and not encoded:
        return aiohttp_response.content.iter_any()
    return response.iter_bytes()


def _connection_problem(error: BaseException) -> str:
    """What went wrong with the connection, for the user, from the chain of underlying errors.

    The aiohttp transport reports a refused connection and a dropped one as timeouts, so the
    original aiohttp or OS error decides.
    """
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, (aiohttp.ClientConnectorError, ConnectionRefusedError)):
            return "the model service could not be reached"
        if isinstance(
            cause, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, ConnectionResetError)
        ):
            return "the connection to the model service broke"
        if isinstance(cause, (TimeoutError, aiohttp.ServerTimeoutError)):
            return "the model service did not answer in time"
        cause = cause.__cause__ or cause.__context__
    if isinstance(error, (openai.APITimeoutError, httpx2.TimeoutException)):
        return "the model service did not answer in time"
    if isinstance(error, httpx2.RequestError):
        return "the connection to the model service broke"
    return "the model service could not be reached"


class _EventReader:
    """Reads the server-sent events of a chat completion stream, one network read at a time.

    OpenAI-compatible servers send each chunk as one `data:` line of JSON, the last one with a
    `finish_reason`, then `data: [DONE]`. Azure also sends chunks without choices (content-filter
    results), which carry no text. The text before an end or an error is kept.
    """

    def __init__(self) -> None:
        self._pending = b""
        self.finished = False
        """A chunk said why the answer ended (its `finish_reason`), or [DONE] came."""
        self.done = False
        """[DONE] came: nothing more will."""
        self.failure: ModelError | None = None
        """The error the stream reported or that reading it found; set once, then reading stops."""

    def feed(self, data: bytes) -> str:
        """The text in the complete events of what has arrived so far (with `data`)."""
        *lines, self._pending = (self._pending + data).split(b"\n")
        pieces: list[str] = []
        for line in lines:
            try:
                text = self._event_text(line)
            except ModelError as error:
                self.failure = error
                break
            if self.done:
                break
            if text:
                pieces.append(text)
        return "".join(pieces)

    def _event_text(self, line: bytes) -> str:
        if not line.startswith(b"data:"):
            return ""  # a blank separator, a comment (keep-alive) or an event name
        data = line[5:].strip()
        if data == b"[DONE]":
            self.done = self.finished = True
            return ""
        try:
            chunk = orjson.loads(data)  # A third of the stdlib's time, on every token.
        except orjson.JSONDecodeError as error:
            raise ModelError("the model service sent a malformed stream") from error
        if not isinstance(chunk, dict):
            raise ModelError("the model service sent a malformed stream")
        if chunk.get("error"):
            raise ModelError("the model service reported an error mid-answer")
        choices = chunk.get("choices")
        if not choices:
            return ""
        choice = choices[0]
        if choice.get("finish_reason"):
            self.finished = True
        return (choice.get("delta") or {}).get("content") or ""
