"""The one boundary where bytes leave the process (the role of httpx's ``_transports``).

One ``aiohttp.ClientSession`` per running event loop, created on first use and shared by every
handler on that loop; one connection pool sized for 1,000 concurrent streams. TLS trusts the
system store (``ssl.create_default_context()`` honours ``SSL_CERT_FILE``), with no pinning.

Tests and harnesses plug in here, never by patching: ``configure(resolver=…, ssl=…)`` swaps the
DNS resolver (so hard-coded hosts such as ``api.anthropic.com`` can be sent to a loopback fixture
server while the URL, the ``Host`` header and the TLS server name stay what they are) and the TLS
context. Nothing here is bound at import time or to a loop that has ended.

Each request carries the timeouts of the Node HTTP stack it stands in for (``StackTimeouts``):
Node 20's fetch (undici: the ``UNDICI_*`` constants below) under openai-node and @google/genai,
agentkeepalive's socket timeout under the Anthropic SDK (``anthropic_sdk.py``), none at all under
node:http (axios, and gaxios's node-fetch for Google tokens). Tests shorten them by setting the
module constants (``monkeypatch.setattr(transport, "UNDICI_HEADERS_TIMEOUT_S", 0.2)``): they are
read on every request, and nothing else changes what is sent.
"""

from __future__ import annotations

import asyncio
import contextvars
import ssl as _ssl
import time
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Mapping

import aiohttp
from yarl import URL

if TYPE_CHECKING:
    from ..ratelimit import AdaptiveLimiter

current_limiter: contextvars.ContextVar[AdaptiveLimiter | None] = contextvars.ContextVar(
    "provider_port_limiter", default=None
)
"""The limiter of the handler call in progress: set by ``providers.ratelimit.LimitedHandler``
around each step, so that only opted-in calls import and pay for ``providers.ratelimit``."""

POOL_LIMIT = 1000
"""Connections the shared pool may hold open at once (1,000 concurrent streams)."""

# Headers aiohttp would otherwise add on its own: every request states them itself or, like the
# reference's SDKs, leaves them out.
SKIP_AUTO_HEADERS = frozenset({"Accept", "Accept-Encoding", "User-Agent", "Content-Type"})

UNDICI_CONNECT_TIMEOUT_S = 10.0
"""undici's ``connect.timeout``: a connection (TCP and TLS) not open within 10 s fails."""
UNDICI_HEADERS_TIMEOUT_S = 300.0
"""undici's ``headersTimeout``: no complete response headers within 300 s destroys the socket."""
UNDICI_BODY_TIMEOUT_S = 300.0
"""undici's ``bodyTimeout``: 300 s without a byte of the body (while it is read) destroys it."""


@dataclass(frozen=True)
class StackTimeouts:
    """What the HTTP client under an SDK gives up on by itself, in seconds (``None``: never).

    ``connect_s`` bounds opening a connection; ``headers_s`` the silence after the request is
    sent until the response headers; ``body_s`` the silence between two reads of the body while
    the caller reads it. A read timeout raises ``aiohttp.SocketTimeoutError`` (from ``request``
    before the headers, from the body's reads after) and closes the connection.
    """

    connect_s: float | None = None
    headers_s: float | None = None
    body_s: float | None = None


NODE_HTTP = StackTimeouts()
"""node:http with its default agent: it never gives up on an open request by itself."""


def undici_timeouts() -> StackTimeouts:
    """Node 20's fetch with undici's default global dispatcher (read at call time)."""
    return StackTimeouts(UNDICI_CONNECT_TIMEOUT_S, UNDICI_HEADERS_TIMEOUT_S, UNDICI_BODY_TIMEOUT_S)


_resolver_factory: Callable[[], aiohttp.abc.AbstractResolver] | None = None
_ssl_context: _ssl.SSLContext | None = None
_sessions: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession]" = (
    weakref.WeakKeyDictionary()
)


def configure(
    *,
    resolver: Callable[[], aiohttp.abc.AbstractResolver] | None = None,
    ssl: _ssl.SSLContext | None = None,
) -> None:
    """Set the resolver factory and TLS context for sessions created from now on.

    ``resolver`` is a zero-argument factory (a resolver is tied to the loop it is made on).
    Sessions already open keep their settings; close them with ``aclose()`` first.
    """
    global _resolver_factory, _ssl_context
    _resolver_factory = resolver
    _ssl_context = ssl


def _default_ssl_context() -> _ssl.SSLContext:
    global _ssl_context
    if _ssl_context is None:
        _ssl_context = _ssl.create_default_context()
    return _ssl_context


class _ClientRequest(aiohttp.ClientRequest):
    """aiohttp's request, except that a request sent to a ``proxy`` goes to it in absolute form
    over the proxy's own protocol, https targets included, with no ``CONNECT`` tunnel: what axios's
    http adapter does (``setProxy`` in ``lib/adapters/http.js``), the only caller that proxies."""

    def is_ssl(self) -> bool:
        return self.proxy is None and super().is_ssl()


def get_session() -> aiohttp.ClientSession:
    """The running loop's shared session, created on first use."""
    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        connector = aiohttp.TCPConnector(
            limit=POOL_LIMIT,
            limit_per_host=0,
            ssl=_default_ssl_context(),
            resolver=_resolver_factory() if _resolver_factory else None,
            use_dns_cache=False,  # as Node: each new connection looks its host up, in the order started
        )
        session = aiohttp.ClientSession(
            connector=connector,
            request_class=_ClientRequest,
            skip_auto_headers=SKIP_AUTO_HEADERS,
            timeout=aiohttp.ClientTimeout(total=None),
            auto_decompress=True,
        )
        _sessions[loop] = session
    return session


async def aclose() -> None:
    """Close the current loop's shared session (a no-op when there is none)."""
    loop = asyncio.get_running_loop()
    session = _sessions.pop(loop, None)
    if session is not None and not session.closed:
        await session.close()


async def request(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    body: bytes | None = None,
    limited: bool = True,
    timeouts: StackTimeouts = NODE_HTTP,
    proxy: str | None = None,
) -> aiohttp.ClientResponse:
    """Send one request on the shared session and return the response once its headers arrive.

    ``url`` is sent as written: it must already be percent-encoded the way the reference's
    ``new URL()`` would have it (nothing is re-quoted). ``headers`` are sent as given (names and
    order); aiohttp adds only ``Host`` and, for a body, ``Content-Length``. The caller reads (and
    releases) the body. ``timeouts`` are the stack's own (``StackTimeouts``); an SDK's own
    timeout is the caller's.

    Inside a call of a handler built with a limiter (``providers.ratelimit``), a ``limited``
    request first waits its turn, and a throttled answer is sent again while the limiter's
    ``max_wait_s`` allows; the last answer is returned as it came. Without one, nothing changes.

    A ``proxy`` (an origin, ``http://host:port`` or ``https://…``) receives the request in
    absolute form (``GET https://host/path HTTP/1.1``) with ``headers`` as they are (the caller
    states ``host`` and any ``Proxy-Authorization``).
    """
    limiter = current_limiter.get() if limited else None
    if limiter is not None:
        return await _limited_request(limiter, method, url, headers, body, timeouts, proxy)
    return await _send(method, url, headers, body, timeouts, proxy)


async def _send(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    timeouts: StackTimeouts,
    proxy: str | None = None,
) -> aiohttp.ClientResponse:
    response = await get_session().request(
        method,
        URL(url, encoded=True),
        headers=headers,
        data=body,
        allow_redirects=False,
        compress=None,
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=timeouts.connect_s, sock_read=timeouts.headers_s),
        proxy=proxy,
    )
    connection = response.connection
    if timeouts.body_s != timeouts.headers_s and connection is not None and connection.protocol is not None:
        # from the headers on, the silence allowed is the body's (if any of it is still to come)
        connection.protocol.read_timeout = timeouts.body_s
        if not response.content.at_eof():
            connection.protocol.start_timeout()
    return response


async def _limited_request(
    limiter: AdaptiveLimiter,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    timeouts: StackTimeouts,
    proxy: str | None,
) -> aiohttp.ClientResponse:
    from .. import ratelimit

    first_attempt = time.monotonic()
    while True:
        budget = limiter.max_wait_s - (time.monotonic() - first_attempt)
        in_turn = await limiter.acquire(ratelimit.estimate_tokens(body), budget)
        response = await _send(method, url, headers, body, timeouts, proxy)
        if not ratelimit.is_throttled(response.status, response.headers):
            limiter.observe(response.status, response.headers)
            return response
        content = await response.read()  # kept by aiohttp: the caller can still read it
        wait = limiter.observe(response.status, response.headers, content) or 0.0
        if not in_turn or time.monotonic() + wait - first_attempt > limiter.max_wait_s:
            limiter.note_given_up()
            return response
        response.release()
        limiter.note_resent()
