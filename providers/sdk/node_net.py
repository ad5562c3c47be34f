"""Node 20's own words for a failed socket (``net`` / ``http``), shared by the Node HTTP clients.

gaxios (through node-fetch) and axios both surface Node's ``err.message`` / ``err.code`` when a
request gets no response: ``getaddrinfo ENOTFOUND <host>``, ``connect ECONNREFUSED <host>:<port>``,
``socket hang up``. ``node_error_reason`` maps an aiohttp connection failure onto them.
Node's fetch (undici) has words of its own: ``body_timeout_terminated``.
"""

from __future__ import annotations

import errno
import socket
import urllib.parse

import aiohttp

from .errors import JSError, JSTypeError


def node_error_reason(exc: BaseException, url: str) -> tuple[str, str | None]:
    """The Node ``err.message`` / ``err.code`` closest to an aiohttp connection failure."""
    parsed = urllib.parse.urlsplit(url)
    host = parsed.hostname or ""
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return "unable to verify the first certificate", "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_error = exc.os_error
        if isinstance(os_error, socket.gaierror):
            return f"getaddrinfo ENOTFOUND {host}", "ENOTFOUND"
        code = errno.errorcode.get(os_error.errno or 0) if isinstance(os_error, OSError) else None
        if code in ("ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH"):
            return f"connect {code} {host}:{port}", code
        return str(os_error) or str(exc), code
    if isinstance(exc, (aiohttp.ServerDisconnectedError, ConnectionResetError)):
        return "socket hang up", "ECONNRESET"
    return str(exc) or type(exc).__name__, None


def body_timeout_terminated() -> JSTypeError:
    """Node's fetch when undici's ``bodyTimeout`` fires during a body read: the read rejects with
    ``TypeError('terminated')`` whose cause is undici's ``BodyTimeoutError``."""
    cause = JSError(
        "Body Timeout Error", name="BodyTimeoutError", js_constructor="BodyTimeoutError", code="UND_ERR_BODY_TIMEOUT"
    )
    return JSTypeError("terminated", cause=cause)
