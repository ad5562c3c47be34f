"""Server-sent events as the Stainless SDKs decode them, written once.

Mirrors openai-node 5.12.2 ``src/internal/decoders/line.ts`` and ``src/core/streaming.ts``
(``_iterSSEMessages``, ``iterSSEChunks``, ``SSEDecoder``); @anthropic-ai/sdk 0.37.0 ships the same
algorithm (``src/internal/decoders/line.ts``, ``src/streaming.ts``). Bytes in, events out: the
stream is cut at blank lines first, each piece goes through the line decoder (``\\r``, ``\\n`` and
``\\r\\n`` across any chunk boundary, UTF-8 decoded per line so a character split between network
chunks comes out whole), and lines become events by the WHATWG field rules.

A byte order mark at the start of a line: openai-node decodes each line with a fresh
``TextDecoder().decode()``, which drops one (``strip_bom``); the Anthropic SDK on Node decodes
with ``Buffer.toString()``, which keeps it (the line's field name then starts with it).
"""

from __future__ import annotations

from typing import AsyncIterator, Iterable, NamedTuple

_CR_BYTE = b"\r"


class ServerSentEvent(NamedTuple):
    """``ServerSentEvent``: ``event`` is ``None`` when no ``event:`` field came."""

    event: str | None
    data: str
    raw: list[str]


def _decode_utf8(data: bytes | bytearray) -> str:
    # TextDecoder('utf-8') without fatal: invalid sequences become U+FFFD.
    return data.decode("utf-8", "replace")


def _without_bom(lines: list[str]) -> list[str]:
    """Each line without one leading U+FEFF (``TextDecoder().decode()`` per line)."""
    return [line[1:] if line[:1] == "\ufeff" else line for line in lines]


def _find_newline(buffer: bytearray, start: int) -> tuple[int, bool] | None:
    """``findNewlineIndex``: index of the first ``\\n`` or ``\\r`` at or after ``start``."""
    lf = buffer.find(b"\n", start)
    cr = buffer.find(b"\r", start, lf if lf >= 0 else len(buffer))
    if cr >= 0:
        return cr, True
    if lf >= 0:
        return lf, False
    return None


class LineDecoder:
    """``LineDecoder``: incremental line splitting over bytes (httpx's algorithm, as ported)."""

    __slots__ = ("_buffer", "_cr_index", "_strip_bom")

    def __init__(self, strip_bom: bool = False) -> None:
        self._buffer = bytearray()
        self._cr_index: int | None = None
        self._strip_bom = strip_bom

    @property
    def idle(self) -> bool:
        """No partial line is pending."""
        return not self._buffer and self._cr_index is None

    def decode(self, chunk: bytes | bytearray) -> list[str]:
        """``decode(chunk)``: the complete lines now available."""
        buffer = self._buffer
        if not buffer and self._cr_index is None and _CR_BYTE not in chunk:
            # nothing pending and no \r: the lines are the pieces between the \n
            *pieces, rest = chunk.split(b"\n")
            buffer += rest
            decoded = [piece.decode("utf-8", "replace") for piece in pieces]
            return _without_bom(decoded) if self._strip_bom else decoded
        buffer += chunk
        lines: list[str] = []
        while True:
            found = _find_newline(buffer, self._cr_index or 0)
            if found is None:
                break
            preceding, carriage = found
            index = preceding + 1
            if carriage and self._cr_index is None:
                # skip until a corresponding \n, a new \r, or nothing
                self._cr_index = index
                continue
            if self._cr_index is not None and (index != self._cr_index + 1 or carriage):
                # a double \r or \rtext\n
                lines.append(_decode_utf8(buffer[: self._cr_index - 1]))
                del buffer[: self._cr_index]
                self._cr_index = None
                continue
            end = preceding - 1 if self._cr_index is not None else preceding
            lines.append(_decode_utf8(buffer[:end]))
            del buffer[:index]
            self._cr_index = None
        return _without_bom(lines) if self._strip_bom else lines

    def flush(self) -> list[str]:
        """``flush()``: what is left, as if a final newline came."""
        if not self._buffer:
            return []
        return self.decode(b"\n")


def find_double_newline_index(buffer: bytearray) -> int:
    """``findDoubleNewlineIndex``: the index just past the first ``\\n\\n``, ``\\r\\r`` or
    ``\\r\\n\\r\\n``, or -1.

    Each later pattern is only looked for where it could start before the match found so far, so
    cutting a read of many events costs time linear in its length.
    """
    start = -1
    end = -1
    for pattern in (b"\n\n", b"\r\r", b"\r\n\r\n"):
        at = buffer.find(pattern) if start < 0 else buffer.find(pattern, 0, start - 1 + len(pattern))
        if at >= 0:
            start, end = at, at + len(pattern)
    return end


class SSEDecoder:
    """``SSEDecoder``: lines in, one event per blank line out."""

    __slots__ = ("_event", "_data", "_chunks")

    def __init__(self) -> None:
        self._event: str | None = None
        self._data: list[str] = []
        self._chunks: list[str] = []

    def decode_lines(self, lines: Iterable[str]) -> list[ServerSentEvent]:
        """``decode(line)`` for each line in turn: the events the lines complete."""
        events: list[ServerSentEvent] = []
        for line in lines:
            if line[-1:] == "\r":
                line = line[:-1]
            if not line:
                # an empty line with nothing before it
                if not self._event and not self._data:
                    continue
                events.append(ServerSentEvent(self._event, "\n".join(self._data), self._chunks))
                self._event = None
                self._data = []
                self._chunks = []
                continue
            self._chunks.append(line)
            if line[0] == ":":
                continue
            field, _, value = line.partition(":")
            if value[:1] == " ":
                value = value[1:]
            if field == "event":
                self._event = value
            elif field == "data":
                self._data.append(value)
        return events


class SSEStream:
    """``iterSSEChunks`` + ``LineDecoder`` + ``SSEDecoder`` as ``_iterSSEMessages`` chains them,
    fed one network read at a time: ``feed(chunk)`` and, once the body ends, ``end()`` return
    the events completed.

    The body is cut after each blank line, each piece goes through the line decoder, each line
    through the SSE decoder. When no ``\r`` is in play the cuts are the text's ``\n\n`` and the
    lines its ``\n``, so all complete events of a read are decoded in one pass (UTF-8 decoding
    them at once gives the same text as line by line: no byte of a bad sequence is a ``\n``).
    """

    __slots__ = ("_data", "_lines", "_events", "_strip_bom")

    def __init__(self, strip_bom: bool = False) -> None:
        self._data = bytearray()
        self._lines = LineDecoder(strip_bom)
        self._events = SSEDecoder()
        self._strip_bom = strip_bom

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        data = self._data
        data += chunk
        if self._lines.idle and _CR_BYTE not in data:
            end = data.rfind(b"\n\n")
            if end < 0:
                return []
            text = data[: end + 2].decode("utf-8", "replace")
            del data[: end + 2]
            lines = text.split("\n")
            lines.pop()  # what follows the last \n: nothing
            if self._strip_bom and "\ufeff" in text:
                lines = _without_bom(lines)
            return self._events.decode_lines(lines)
        events: list[ServerSentEvent] = []
        while True:
            at = find_double_newline_index(data)
            if at < 0:
                return events
            piece = data[:at]
            del data[:at]
            events += self._events.decode_lines(self._lines.decode(piece))

    def end(self) -> list[ServerSentEvent]:
        lines = self._lines.decode(self._data) if self._data else []
        self._data = bytearray()
        return self._events.decode_lines([*lines, *self._lines.flush()])


async def iter_sse_messages(chunks: AsyncIterator[bytes], strip_bom: bool = False) -> AsyncIterator[ServerSentEvent]:
    """``_iterSSEMessages``: the events of a response body (``strip_bom``: openai-node's lines)."""
    stream = SSEStream(strip_bom)
    async for chunk in chunks:
        if chunk:
            for sse in stream.feed(chunk):
                yield sse
    for sse in stream.end():
        yield sse
