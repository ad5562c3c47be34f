"""The gateway's stream writer (``gateway.server.streaming``) on a real socket: what a chunk
stream has at hand goes out in one write, what is held goes out before the stream waits, and a
client that goes away while the stream waits or while a write is pending closes the stream.
Each test serves one ``aiohttp.web`` handler that writes a chunk stream the test controls, read
by a raw aiohttp client."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

import aiohttp
from aiohttp import web

from gateway.server.app import RUNNER_OPTIONS
from gateway.server.streaming import SseResponse, StreamWriter, json_bytes

END = b"event: end\n\n"


class CountedResponse(SseResponse):
    """An ``SseResponse`` that counts its writes of bytes (aiohttp's own empty ``write_eof``
    after the handler returns is not one)."""

    writes = 0

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes += 1
        await super().write(data)

    async def write_eof(self, data: bytes = b"") -> None:
        self.writes += bool(data)
        await super().write_eof(data)


class Served:
    """One request's stream as the handler wrote it."""

    def __init__(self) -> None:
        self.response: CountedResponse | None = None
        self.closed = asyncio.Event()
        self.error: BaseException | None = None


Stream = Callable[[], AsyncGenerator[dict[str, Any], None]]


@contextlib.asynccontextmanager
async def serve(stream: Stream) -> AsyncIterator[tuple[str, Served]]:
    """A server whose one route writes ``stream()``'s chunks (``{"data": bytes}``) through a
    ``StreamWriter``, with the gateway's runner options (a client gone cancels the handler)."""
    served = Served()

    async def handle(request: web.Request) -> web.StreamResponse:
        response = served.response = CountedResponse()
        await response.prepare(request)
        writer = StreamWriter(response)
        chunks = stream()
        try:
            async for chunk in writer.chunks(chunks):
                writer.add(chunk["data"])
            await writer.end(END)
        except BaseException as error:
            served.error = error
            raise
        finally:
            await chunks.aclose()
            served.closed.set()
        return response

    app = web.Application()
    app.router.add_get("/", handle)
    runner = web.AppRunner(app, **RUNNER_OPTIONS)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/", served
    finally:
        await runner.cleanup()


async def test_chunks_at_hand_go_out_in_one_write() -> None:
    async def stream() -> AsyncGenerator[dict[str, Any], None]:
        for i in range(10):
            yield {"data": f"data: {i}\n\n".encode()}

    async with serve(stream) as (url, served), aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            body = await response.read()
    assert body == b"".join(f"data: {i}\n\n".encode() for i in range(10)) + END
    assert served.response is not None and served.response.writes == 1  # write_eof, with the headers


async def test_what_is_held_goes_out_before_the_stream_waits() -> None:
    go = asyncio.Event()

    async def stream() -> AsyncGenerator[dict[str, Any], None]:
        yield {"data": b"data: a\n\n"}
        yield {"data": b"data: b\n\n"}
        await go.wait()  # until the client has read a and b: a writer that held them would hang here
        yield {"data": b"data: c\n\n"}

    async with serve(stream) as (url, served), aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            assert await asyncio.wait_for(response.content.readexactly(18), 2) == b"data: a\n\ndata: b\n\n"
            go.set()
            assert await asyncio.wait_for(response.read(), 2) == b"data: c\n\n" + END
    assert served.response is not None and served.response.writes == 2  # a+b before the wait; c with the end


async def test_a_client_gone_while_the_stream_waits_closes_the_stream() -> None:
    finished = asyncio.Event()

    async def stream() -> AsyncGenerator[dict[str, Any], None]:
        try:
            yield {"data": b"data: a\n\n"}
            await asyncio.Event().wait()  # an upstream that never sends more
            yield {"data": b"never"}
        finally:
            finished.set()

    async with serve(stream) as (url, served), aiohttp.ClientSession() as http:
        response = await http.get(url)
        assert await asyncio.wait_for(response.content.readexactly(9), 2) == b"data: a\n\n"
        response.close()  # the connection goes away while the stream waits
        await asyncio.wait_for(served.closed.wait(), 2)
    assert finished.is_set() and isinstance(served.error, asyncio.CancelledError)


async def test_a_client_gone_while_a_write_is_pending_closes_the_stream() -> None:
    """8 MB held, then a wait: the write cannot finish while the client reads nothing; the
    client goes away, and the stream is closed (the wait for its next chunk cancelled)."""
    finished = asyncio.Event()

    async def stream() -> AsyncGenerator[dict[str, Any], None]:
        try:
            yield {"data": b"x" * 8_000_000}
            await asyncio.Event().wait()
            yield {"data": b"never"}
        finally:
            finished.set()

    async with serve(stream) as (url, served), aiohttp.ClientSession() as http:
        response = await http.get(url)
        await asyncio.sleep(0.2)  # the server is writing, the client reads nothing
        response.close()
        await asyncio.wait_for(served.closed.wait(), 2)
    assert finished.is_set() and isinstance(served.error, (asyncio.CancelledError, ConnectionError))


def test_json_bytes_escapes_a_lone_surrogate_as_json_stringify_does() -> None:
    """A handler's text may hold a lone surrogate (a JS string split mid-pair); UTF-8 cannot
    carry one, so it is escaped (JSON.stringify's well-formed output) rather than failing the
    reply; a redaction still applies."""
    assert json_bytes({"text": "héllo"}) == '{"text":"héllo"}'.encode()
    assert json_bytes({"text": "a\ud83d", "key": "sk-secret"}) == b'{"text":"a\\ud83d","key":"sk-secret"}'
    assert json_bytes({"text": "a\ud83d", "key": "sk-secret"}, lambda t: t.replace("sk-secret", "[redacted]")) == \
        b'{"text":"a\\ud83d","key":"[redacted]"}'
