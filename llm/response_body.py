"""A streamed model response's body as bytes: every byte that arrived, also when the connection broke."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

import aiohttp
from openai._response import AsyncAPIResponse

_INFLATED = ("gzip", "x-gzip", "deflate")


def body_chunks(response: AsyncAPIResponse[object]) -> AsyncIterator[bytes]:
    """The streamed body's bytes as they arrive; from aiohttp itself when it carries the response.

    The client's aiohttp transport hands the body up through four layers of async generators
    (transport, httpx2's raw and decoded iterators, the `openai` response), a cost per token that
    under load is a large part of the bot's CPU, and which loses what aiohttp still holds when the
    connection breaks (see `_received`). A gzip or deflate body is inflated here; any other
    encoding (brotli or zstd, if their packages are installed) still takes the client's path.
    """
    stream = response.http_response.stream
    stream = getattr(stream, "_stream", stream)  # httpx2's timing wrapper around the transport's
    aiohttp_response = getattr(stream, "_aiohttp_response", None)
    if not isinstance(aiohttp_response, aiohttp.ClientResponse):
        return response.iter_bytes()
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding == "identity":
        return _received(aiohttp_response.content)
    if encoding in _INFLATED:
        return _inflated(_received(aiohttp_response.content), raw_deflate_allowed=encoding == "deflate")
    return response.iter_bytes()


async def _received(content: aiohttp.StreamReader) -> AsyncIterator[bytes]:
    """Everything `content` received, including what it still holds when the connection breaks.

    aiohttp stores a broken connection's error and raises it on the next read *before* returning
    the data it already holds (`StreamReader.readany` in aiohttp 3.x). The answer is read in
    batches, up to a second apart, so that can be many words: they are taken from the buffer
    before the error goes on.
    """
    try:
        while chunk := await content.readany():
            yield chunk
    except aiohttp.ClientError:
        held = _held(content)
        if held:
            yield held
        raise


def _held(content: aiohttp.StreamReader) -> bytes:
    """The bytes `content` received and nobody read yet. aiohttp offers no public way to read
    them once an error is stored (tests/llm/compat/test_model_servers.py notices if that changes)."""
    return b"".join(content._buffer)[content._buffer_offset :]


async def _inflated(chunks: AsyncIterator[bytes], *, raw_deflate_allowed: bool) -> AsyncIterator[bytes]:
    """`chunks` of a gzip or deflate body, inflated as they arrive.

    `deflate` should carry a zlib header (RFC 9110), but some servers send bare deflate data; as
    the client does, that is tried when the first bytes are not zlib's.
    """
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # a gzip or zlib header, whichever it is
    first = True
    async for chunk in chunks:
        try:
            data = inflater.decompress(chunk)
        except zlib.error:
            if not (first and raw_deflate_allowed):
                raise
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            data = inflater.decompress(chunk)
        first = False
        if data:
            yield data
