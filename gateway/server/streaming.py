"""A streamed reply's writes, as few as the upstream allows (ours).

Every ``write`` of an ``aiohttp.web.StreamResponse`` is a ``send()`` of its own, and on loopback
a ``send()`` costs tens of microseconds (the receiver's TCP path runs in it, and its wake-up).
The upstream's events mostly come several to one read, and the handler yields them one by one
without waiting in between; writing each as it comes makes a 10-delta reply 14 sends (with
the headers and the chunked end).
``StreamWriter`` holds what is written while the next chunk is already at hand and sends it
when the chunk stream has to wait for the upstream (or when the reply ends): the same bytes, in
the same order, never later than the next wait, so a client sees each event as soon as before
(a slow upstream, one event per read, still gets one send per event).

``StreamWriter.chunks(stream)`` iterates ``stream`` and notices the wait by stepping each
``__anext__()`` awaitable itself: when it yields to the event loop, the pending bytes are
written first. A write that fails there (the client went away) is raised at the next ``add``,
``flush``, ``end`` or chunk; a cancellation while writing cancels the chunk's wait too.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator
from typing import Any

from aiohttp import web

from providers.js import jsonjs

SSE_HEADERS = {"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache"}
"""The headers of every streamed reply of the gateway (OpenAI, Anthropic, native)."""

_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def json_bytes(value: Any, redact: Callable[[str], str] | None = None) -> bytes:
    """``value`` as compact JSON in UTF-8 (one encoder for every event: ``json.dumps`` with
    options builds one per call), ``redact`` applied to the text. A lone surrogate in a string,
    which UTF-8 cannot carry, is escaped as ``JSON.stringify`` escapes it (``jsonjs.dumps``)."""
    text = _ENCODE(value)
    if redact is not None:
        text = redact(text)
    try:
        return text.encode()
    except UnicodeEncodeError:
        text = jsonjs.dumps(value)
        return (text if redact is None else redact(text)).encode()


class SseResponse(web.StreamResponse):
    """A ``StreamResponse`` whose headers go out with its first bytes (one ``send()``), as a
    ``web.Response``'s do, rather than on their own at ``prepare``."""

    _send_headers_immediately = False  # aiohttp's own switch (``Response`` sets it the same way)


class StreamWriter:
    """The writes of ``response`` (prepared): ``add`` holds bytes, ``flush`` writes what is
    held, ``end`` writes it with the response's end; ``chunks`` flushes whenever the chunk
    stream waits."""

    def __init__(self, response: web.StreamResponse) -> None:
        self.response = response
        self._held: list[bytes] = []
        self._error: BaseException | None = None

    def add(self, data: bytes) -> None:
        self._raise()
        self._held.append(data)

    async def flush(self) -> None:
        self._raise()
        if self._held:
            data = b"".join(self._held)
            self._held.clear()
            await self.response.write(data)

    async def end(self, data: bytes = b"") -> None:
        """What is held and ``data``, with the end of the response, in one write."""
        self.add(data)
        data = b"".join(self._held)
        self._held.clear()
        await self.response.write_eof(data)

    def chunks(self, stream: AsyncGenerator[dict[str, Any], None]) -> AsyncIterator[dict[str, Any]]:
        """``stream``'s chunks; what is held is written before each wait for the next one."""
        return _Chunks(self, stream)

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _flush_steps(self) -> Generator[Any, Any, None]:
        """``flush`` as the steps of an ``await``, its failure held for later."""
        try:
            yield from self.flush().__await__()
        except Exception as error:  # (ConnectionError: the client is gone)
            self._error = error


class _Chunks:
    def __init__(self, writer: StreamWriter, stream: AsyncGenerator[dict[str, Any], None]) -> None:
        self._writer = writer
        self._stream = stream

    def __aiter__(self) -> _Chunks:
        return self

    def __anext__(self) -> Awaitable[dict[str, Any]]:
        return _Step(self._writer, self._stream.__anext__())


class _Step:
    """One ``__anext__()`` of the stream, awaited step by step (what ``yield from`` does), with
    the writer's flush before the first step that waits."""

    __slots__ = ("_writer", "_next")

    def __init__(self, writer: StreamWriter, next_chunk: Awaitable[dict[str, Any]]) -> None:
        self._writer = writer
        self._next = next_chunk

    def __await__(self) -> Generator[Any, Any, dict[str, Any]]:
        inner = self._next.__await__()
        sent: Any = None
        error: BaseException | None = None
        flushed = False
        while True:
            try:
                waiting = inner.send(sent) if error is None else inner.throw(error)
            except StopIteration as done:
                self._writer._raise()
                return done.value  # type: ignore[no-any-return]
            sent = error = None
            if not flushed:  # the stream waits: what is held goes out first
                flushed = True
                try:
                    yield from self._writer._flush_steps()
                except GeneratorExit:
                    inner.close()
                    raise
                except BaseException as cancelled:  # cancelled while writing: the wait for the chunk too
                    if isinstance(waiting, asyncio.Future):  # (as a task's cancel cancels what it awaits)
                        waiting.cancel()
                    error = cancelled
                    continue
            try:
                sent = yield waiting
            except GeneratorExit:
                inner.close()
                raise
            except BaseException as thrown:  # (a cancellation): into the stream's wait
                error = thrown
