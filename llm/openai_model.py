"""Chat completions through the `openai` package: OpenAI, Azure OpenAI, or any compatible server."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Sequence

import aiohttp
import httpx2  # the `openai` package's HTTP client; its errors surface while the body streams
import openai

from .chat_model import (
    AnswerCutOff,
    ModelError,
    ModelSignal,
    PromptMessage,
    ToolCall,
    ToolChoice,
    ToolSpec,
)
from .completion_events import CompletionEvents
from .response_body import body_chunks
from .tool_calls import ToolCallFragments

CUT_OFF_REASONS = frozenset({"length", "content_filter"})
"""Finish reasons that end an answer before the model was done with it."""


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
        self,
        messages: Sequence[PromptMessage],
        *,
        temperature: float | None = None,
        tools: Sequence[ToolSpec] = (),
        tool_choice: ToolChoice = "auto",
    ) -> AsyncIterator[str | ModelSignal | ToolCall]:
        """The answer's text, read from the raw server-sent events, one piece per network read.

        A read that carried no text yields a `ModelSignal` instead: `REASONING` if the model was
        reasoning, else `ALIVE`. The client still builds, authenticates and retries the request;
        only the streamed body is parsed here, because building a typed chunk object per token
        costs several times more CPU than the rest of the bot's work for that token. With `tools`,
        the tool calls the model made follow its text, once the stream has ended complete.
        """
        # The messages travel in extra_body: the client's type-driven transform would walk every
        # message (about 0.1 ms each, per request), and these plain dicts need none.
        body: dict[str, object] = {"messages": list(messages)}
        if tools:
            body["tools"] = [_function(tool) for tool in tools]
            if tool_choice != "auto":
                body["tool_choice"] = tool_choice
        try:
            request = self._client.chat.completions.with_streaming_response.create(
                model=self._model,
                messages=[],
                extra_body=body,
                temperature=self._temperature if temperature is None else temperature,
                stream=True,
                timeout=self._stream_timeout(),
            )
            # Leaving this block, also by cancellation, closes the HTTP response: the server
            # sees the connection close and stops generating.
            async with request as response:
                events = CompletionEvents(ToolCallFragments() if tools else None)
                async for chunk in body_chunks(response):
                    # One piece per read, however many events it holds: a caller that reads in
                    # batches (see `streams_ahead`) gets a batch in one step.
                    text = events.feed(chunk)
                    if text:
                        yield text
                    elif not events.ended:
                        yield ModelSignal.REASONING if events.reasoned else ModelSignal.ALIVE
                    if events.ended:
                        break
                rest = events.rest()
                if rest:
                    yield rest
            _raise_if_incomplete(events)
            if events.tool_calls is not None:
                for call in events.tool_calls.calls():
                    yield call
        except (httpx2.RequestError, openai.APIConnectionError, aiohttp.ClientError, TimeoutError) as error:
            raise ModelError(_connection_problem(error)) from error
        except zlib.error as error:
            raise ModelError("the model service sent a malformed stream") from error
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


def _function(tool: ToolSpec) -> dict[str, object]:
    """A tool as the request offers it: a function definition."""
    return {
        "type": "function",
        "function": {"name": tool.name, "description": tool.description, "parameters": tool.parameters},
    }


def _raise_if_incomplete(events: CompletionEvents) -> None:
    """Raise why the answer is not complete, once all its text was yielded: an error the stream
    reported, a body that ended without a finish reason or [DONE] (cut off on the way), or the
    model's own reason to stop early."""
    if events.failure is not None:
        raise events.failure
    if not events.finished:
        raise ModelError("the connection to the model service broke")
    if events.finish_reason in CUT_OFF_REASONS:
        raise AnswerCutOff(events.finish_reason)
