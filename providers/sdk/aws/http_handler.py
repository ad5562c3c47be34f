"""One HTTP attempt as the SDK's request handler makes it, and the response the deserializers read.

Mirrors @smithy/node-http-handler 4.4.4 (``NodeHttp2Handler``: the errors a request without a
response rejects with), @smithy/protocol-http (``HttpResponse``) and @smithy/util-stream
(``collectBody``). The request itself goes through ``providers.sdk.transport``.

Timeouts: the client builds ``NodeHttp2Handler.create(config.requestHandler ?? defaults)``; under the
default ``legacy`` defaults mode there is no ``requestTimeout`` (stream inactivity) and no
``sessionTimeout``, and bedrock.ts's ``requestHandler: {requestTimeout: 0}`` (API-key auth) sets none
either, so an attempt waits as long as the server takes, as the transport's ``total=None`` does.
The caller's abort signal (bedrock.ts's 10-minute ``AbortController``) is ``abort_response``.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from ...js.errors import JSError


class StreamAborted(Exception):
    """The abort signal fired after the response arrived: its body stream was destroyed."""


def abort_response(response: aiohttp.ClientResponse) -> None:
    """``onAbort`` once the response is in: ``req.destroy()``; a pending or later read ends."""
    response.content.set_exception(StreamAborted())
    response.close()


@dataclass
class HttpResponse:
    """What the deserializers see of an HTTP response (``HttpResponse``)."""

    status: int
    headers: dict[str, str]
    raw: aiohttp.ClientResponse


_ERRNO_CODES = {
    111: "ECONNREFUSED",
    61: "ECONNREFUSED",
    104: "ECONNRESET",
    54: "ECONNRESET",
    110: "ETIMEDOUT",
    60: "ETIMEDOUT",
    113: "EHOSTUNREACH",
    65: "EHOSTUNREACH",
    101: "ENETUNREACH",
    51: "ENETUNREACH",
    32: "EPIPE",
}


def connection_error(error: Exception, host: str) -> JSError:
    """The error NodeHttp2Handler rejects with when no response arrives."""
    if isinstance(error, aiohttp.ClientConnectorDNSError) or (
        isinstance(error, aiohttp.ClientConnectorError)
        and isinstance(error.os_error, OSError)
        and getattr(error.os_error, "errno", None) in (-2, -3, -5, 8)
    ):
        cause = JSError(f"getaddrinfo ENOTFOUND {host}", code="ENOTFOUND", syscall="getaddrinfo", hostname=host)
        return JSError(
            f"The pending stream has been canceled (caused by: {cause.message})",
            code="ERR_HTTP2_STREAM_CANCEL",
            cause=cause,
        )
    if isinstance(error, aiohttp.ClientConnectorError):
        errno = getattr(error.os_error, "errno", None)
        code = _ERRNO_CODES.get(errno or 0)
        if code is not None:
            cause = JSError(
                f"connect {code} {error.host}:{error.port}",
                code=code,
                errno=-(errno or 0),
                syscall="connect",
                address=error.host,
                port=error.port,
            )
            return JSError(
                f"The pending stream has been canceled (caused by: {cause.message})",
                code="ERR_HTTP2_STREAM_CANCEL",
                cause=cause,
            )
        return JSError(str(error.os_error or error))
    if isinstance(error, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, ConnectionResetError)):
        return JSError("Unexpected error: http2 request did not get a response")
    return JSError(str(error) or type(error).__name__)


async def read_body(response: aiohttp.ClientResponse) -> bytes:
    """The whole body (``collectBody``); a connection lost mid-body ends it where it stopped."""
    parts: list[bytes] = []
    try:
        async for chunk in response.content.iter_any():
            parts.append(chunk)
    except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, ConnectionResetError):
        pass
    finally:
        response.release()
    return b"".join(parts)
