"""The event stream of a ConverseStream response: framing, decoding and unmarshalling.

Mirrors @smithy/eventstream-serde-universal 4.2.4 (``getChunkedStream``, ``getMessageUnmarshaller``)
and @smithy/eventstream-codec 4.2.4 (``EventStreamCodec.decode``, ``splitMessage``); messages with
other than string headers go through botocore's ``EventStreamBuffer``. The events' shapes are
deserialized by ``protocol`` (``de_ConverseStreamOutput``).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

import aiohttp

from ...js.errors import JSError, JSTypeError
from .http_handler import StreamAborted
from .protocol import (
    EVENT_DESERIALIZERS,
    STREAM_EXCEPTIONS,
    metadata_from_response,
    modeled_exception,
    parse_json_body,
)


class _JSRangeError(JSError):
    js_constructor = "RangeError"


_UINT32 = struct.Struct(">I")


class EventMessageChunker:
    """``getChunkedStream``: cut the body into whole messages by their 4-byte length prefix.

    A message is only decoded once all of its bytes arrived; a body ending inside a message is
    ``Truncated event message received.``, one ending inside a length prefix simply ends.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._length = 0  # the current message's total length once its prefix is complete

    def feed(self, data: bytes) -> list[bytes]:
        """The messages completed by ``data`` (cut in one pass; the rest kept once)."""
        buffer = self._buffer
        buffer += data
        messages: list[bytes] = []
        start = 0
        end = len(buffer)
        try:
            while True:
                if not self._length:
                    if end - start < 4:
                        return messages
                    self._length = _UINT32.unpack_from(buffer, start)[0]
                    if self._length < 4:
                        raise _JSRangeError("Offset is outside the bounds of the DataView")
                stop = start + self._length
                if end < stop:
                    return messages
                messages.append(bytes(buffer[start:stop]))
                start = stop
                self._length = 0
        finally:
            del buffer[:start]

    def end(self) -> None:
        """The body ended: an incomplete message is an error."""
        if self._length:
            raise JSError("Truncated event message received.")


@dataclass(slots=True)
class EventMessage:
    """A decoded event-stream message: header values (strings, ints, bytes …) and payload."""

    headers: dict[str, Any]
    body: bytes


_EVENT_STREAM_PRELUDE = struct.Struct(">III")
_MAX_HEADERS_LENGTH = 128 * 1024  # botocore's limits: a message beyond them is its error to raise
_MAX_PAYLOAD_LENGTH = 24 * 1024 * 1024
_STRING_HEADER_TYPE = 7
# Header sections already read: a stream repeats a handful (one per event type) thousands of times.
_HEADERS_SEEN: dict[bytes, dict[str, Any]] = {}
_HEADERS_SEEN_MAX = 64


def decode_message(frame: bytes) -> EventMessage:
    """``EventStreamCodec.decode`` (``splitMessage`` + header parsing) of one whole message.

    A well-formed message whose headers are all strings (every message Bedrock sends) is read
    here, both CRCs checked; anything else goes to botocore's ``EventStreamBuffer``, which parses
    it the same way and raises what is wrong, reported with the JavaScript codec's wording and
    numbers.
    """
    if len(frame) < 16:
        raise JSError("Provided message too short to accommodate event stream message overhead")
    total, headers_length, prelude_crc = _EVENT_STREAM_PRELUDE.unpack_from(frame)
    headers_end = 12 + headers_length
    if (
        total == len(frame)
        and headers_end <= total - 4
        and headers_length <= _MAX_HEADERS_LENGTH
        and total - 16 - headers_length <= _MAX_PAYLOAD_LENGTH
        and zlib.crc32(frame[:8]) == prelude_crc
        and zlib.crc32(frame[:-4]) == _UINT32.unpack_from(frame, total - 4)[0]
    ):
        raw_headers = frame[12:headers_end]
        headers = _HEADERS_SEEN.get(raw_headers)
        if headers is None:
            headers = _string_headers(frame, headers_end)
            if headers is not None and len(_HEADERS_SEEN) < _HEADERS_SEEN_MAX:
                _HEADERS_SEEN[raw_headers] = headers
        if headers is not None:
            return EventMessage(dict(headers), frame[headers_end:-4])
    return _decode_message_botocore(frame)


def _string_headers(frame: bytes, end: int) -> dict[str, Any] | None:
    """The headers ``frame[12:end]`` when each is a string, complete, valid UTF-8 and named once;
    otherwise ``None``."""
    headers: dict[str, Any] = {}
    at = 12
    try:
        while at < end:
            name_end = at + 1 + frame[at]
            value_at = name_end + 3
            if value_at > end or frame[name_end] != _STRING_HEADER_TYPE:
                return None
            value_end = value_at + int.from_bytes(frame[name_end + 1 : value_at], "big")
            if value_end > end:
                return None
            name = frame[at + 1 : name_end].decode("utf-8")
            if name in headers:
                return None
            headers[name] = frame[value_at:value_end].decode("utf-8")
            at = value_end
    except UnicodeDecodeError:
        return None
    return headers


def _decode_message_botocore(frame: bytes) -> EventMessage:
    """``decode_message`` through botocore's ``EventStreamBuffer``, for every other message."""
    from botocore.eventstream import ChecksumMismatch, EventStreamBuffer

    buffer = EventStreamBuffer()
    buffer.add_data(frame)
    try:
        message = next(buffer)
    except ChecksumMismatch:
        raise _checksum_error(frame) from None
    except KeyError:
        raise JSError("Unrecognized header type tag") from None
    return EventMessage(headers=message.headers, body=message.payload)


def _checksum_error(frame: bytes) -> JSError:
    expected_prelude = int.from_bytes(frame[8:12], "big")
    prelude = zlib.crc32(frame[:8])
    if expected_prelude != prelude:
        return JSError(
            f"The prelude checksum specified in the message ({expected_prelude}) does not match "
            f"the calculated CRC32 checksum ({prelude})"
        )
    expected = int.from_bytes(frame[-4:], "big")
    calculated = zlib.crc32(frame[:-4])
    return JSError(f"The message checksum ({calculated}) did not match the expected value of {expected}")


def unmarshal_event(message: EventMessage) -> dict[str, Any] | None:
    """``getMessageUnmarshaller`` with ``de_ConverseStreamOutput``: an event dict, ``None`` for an
    unknown event, or the exception an ``exception``/``error`` message carries (raised)."""
    if ":message-type" not in message.headers:
        raise JSTypeError(
            "Cannot destructure property 'value' of 'message.headers[\":message-type\"]' as it is undefined."
        )
    message_type = _header(message, ":message-type")
    if message_type == "error":
        raise JSError(_header(message, ":error-message") or "UnknownError", name=_header(message, ":error-code"))
    if message_type == "exception":
        code = _header(message, ":exception-type")
        if code in STREAM_EXCEPTIONS:
            body = parse_json_body(message.body)
            raise modeled_exception(STREAM_EXCEPTIONS[code], body, metadata_from_response(None, {}))
        raise JSError(message.body.decode("utf-8", "replace"), name=code)
    if message_type == "event":
        event_type = _header(message, ":event-type")
        deserialize = EVENT_DESERIALIZERS.get(event_type)
        if deserialize is None:
            return None
        return {event_type: deserialize(parse_json_body(message.body))}
    raise JSError(f"Unrecognizable event type: {_header(message, ':event-type')}")


def _header(message: EventMessage, name: str) -> Any:
    """``message.headers[name].value``."""
    if name not in message.headers:
        raise JSTypeError("Cannot read properties of undefined (reading 'value')")
    value = message.headers[name]
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


async def iterate_events(response: aiohttp.ClientResponse) -> AsyncGenerator[dict[str, Any], None]:
    """The ``stream`` of a ConverseStream response: decoded events, in order.

    As with the reference's HTTP/2 stream, a connection lost mid-body ends the body there, and a
    body destroyed by the abort signal ends the stream (what it held back is dropped). The
    response is released when the iteration ends, fails or is closed.
    """
    chunker = EventMessageChunker()
    try:
        while True:
            try:
                data = await response.content.readany()
            except StreamAborted:
                return
            except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, ConnectionResetError):
                data = b""
            if not data:
                chunker.end()
                return
            for frame in chunker.feed(data):
                event = unmarshal_event(decode_message(frame))
                if event is not None:
                    yield event
    finally:
        response.release()
