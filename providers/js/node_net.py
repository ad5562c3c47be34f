"""Node 20's own words for a failed socket (``net`` / ``http``), shared by the Node HTTP clients,
and what those clients do with a URL's user name and password.

gaxios (through node-fetch) and axios both surface Node's ``err.message`` / ``err.code`` when a
request gets no response: ``getaddrinfo ENOTFOUND <host>``, ``connect ECONNREFUSED <host>:<port>``,
``socket hang up``. ``node_error_reason`` maps an aiohttp connection failure onto them.
Node's fetch (undici) has words of its own: ``body_timeout_terminated``.

Credentials in a URL never reach aiohttp (it would make its own ``Authorization`` of them):
undici's ``new Request(url)`` refuses them (``undici_request_url``); Node's ``http.request``
turns its ``auth`` option into a ``Basic`` header (``basic_auth``), which node-fetch and axios
feed differently.
"""

from __future__ import annotations

import base64
import errno
import socket
import urllib.parse

import aiohttp

from .errors import JSError, JSTypeError
from .whatwg_url import URLRecord, parse


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


class RequestRefused(aiohttp.InvalidURL):
    """A URL the Node client refuses before connecting (a ``ClientError``, so the SDKs' retries
    see a connection failure); ``js_error`` is what the client throws."""

    def __init__(self, url: str, js_error: JSError) -> None:
        super().__init__(url)
        self.js_error = js_error


def shown_href(url: URLRecord) -> str:
    """The href for an error text: a password reads ``***`` (the caller's secret stays out)."""
    password = url.password
    url.password = "***" if password else ""
    try:
        return url.href
    finally:
        url.password = password


def undici_request_url(href: str) -> str:
    """undici's ``new Request(href)``: a URL with a user name or password throws ``TypeError:
    Request cannot be constructed from a URL that includes credentials: <href>``."""
    url = parse(href)
    if url.username or url.password:
        shown = shown_href(url)
        raise RequestRefused(
            shown, JSTypeError(f"Request cannot be constructed from a URL that includes credentials: {shown}")
        )
    return href


def strip_credentials(url: URLRecord) -> str:
    """The href without user name and password (they travel as a header instead)."""
    url.username = url.password = ""
    return url.href


def basic_auth(auth: str) -> str:
    """``http.request({auth})``: ``Basic`` and the base64 of the option's UTF-8 bytes."""
    return "Basic " + base64.b64encode(auth.encode("utf-8", "surrogatepass")).decode("ascii")
