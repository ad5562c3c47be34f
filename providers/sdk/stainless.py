"""The shared core of the two Stainless-generated SDKs behind the reference.

openai-node 5.12.2 (``src/client.ts``: ``buildURL``, ``buildHeaders``, ``makeRequest``,
``shouldRetry``, ``retryRequest``, ``calculateDefaultRetryTimeoutMillis``; ``src/core/error.ts``;
``src/core/streaming.ts``; ``src/internal/parse.ts``) and @anthropic-ai/sdk 0.37.0 (``src/core.ts``,
``src/error.ts``, ``src/streaming.ts``) share one request/retry/error/stream design. It is
written here once; what differs between them (headers, body layout, the error body, how the
fetch underneath reports a cut stream, its own timeouts, which SSE events count) is a
``Flavor``, defined in ``openai_node.py`` and ``anthropic_sdk.py``.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import platform
import random
import re
import time
from dataclasses import dataclass
from typing import Any, AsyncGenerator, AsyncIterator, Callable, Mapping
from urllib.parse import quote

import aiohttp

from . import transport
from ..js import whatwg_url
from ..js.errors import JSError
from ..js.jsonjs import dumps, js_get, js_string, js_truthy, loads
from .retries import enabled as sdk_retries
from .sse import ServerSentEvent, SSEStream

DEFAULT_MAX_RETRIES = 2
DEFAULT_TIMEOUT_MS = 600_000  # 10 minutes
INITIAL_RETRY_DELAY_S = 0.5
MAX_RETRY_DELAY_S = 8.0
MAX_RETRY_AFTER_MS = 60_000  # a server-named wait at or above this is ignored


# --- errors (src/core/error.ts, src/error.ts) -----------------------------------------------


class StainlessError(JSError):
    """The SDK's base error (``OpenAIError``, ``AnthropicError``): JS ``err.name`` stays
    ``"Error"``, the SDKs never set it."""

    def __init__(self, message: str, **props: Any) -> None:
        super().__init__(message, name="Error", **props)


class APIError(StainlessError):
    """``APIError``: ``status``, ``headers``, ``error`` (the body), message by ``makeMessage``.

    The constructor name is the class name, which the subclasses below carry.
    """

    js_constructor = "APIError"
    # set by openai-node only (``copies_error_fields``)
    param: Any
    type: Any

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.js_constructor = cls.__name__


class APIUserAbortError(APIError):
    pass


class APIConnectionError(APIError):
    pass


class APIConnectionTimeoutError(APIConnectionError):
    pass


class BadRequestError(APIError):
    pass


class AuthenticationError(APIError):
    pass


class PermissionDeniedError(APIError):
    pass


class NotFoundError(APIError):
    pass


class ConflictError(APIError):
    pass


class UnprocessableEntityError(APIError):
    pass


class RateLimitError(APIError):
    pass


class InternalServerError(APIError):
    pass


_STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def make_message(status: int | None, error: Any, message: str | None) -> str:
    """``APIError.makeMessage``."""
    error_message = js_get(error, "message")
    if js_truthy(error_message):
        msg: str | None = error_message if isinstance(error_message, str) else dumps(error_message)
    elif js_truthy(error):
        msg = dumps(error)
    else:
        msg = message
    if status and msg:
        return f"{status} {msg}"
    if status:
        return f"{status} status code (no body)"
    if msg:
        return msg
    return "(no status code or body)"


def headers_dict(headers: Mapping[str, str]) -> dict[str, str]:
    """A response's headers as JS sees them: lower-case names, repeated values joined."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


# --- what differs between the two SDKs -------------------------------------------------------


@dataclass(frozen=True)
class Flavor:
    """How one Stainless SDK (and the fetch under it) differs from the other."""

    package_version: str
    # the fetch implementation's own request headers, added when absent (undici / node-fetch)
    fetch_headers: tuple[tuple[str, str], ...]
    # JSON.stringify(body, null, indent): Anthropic 0.37 pretty-prints with 2
    body_indent: int | None
    # a leading BOM dropped by the body's text()/json() and per SSE line: undici and openai-node's
    # TextDecoder do; node-fetch 2.7's Buffer.toString() (the Anthropic SDK's) keeps it
    strips_bom: bool
    # what response.json() rejects with for a body that is not JSON (the URL, JSON.parse's error)
    invalid_json: Callable[[str, JSError], Exception]
    # defaultParseResponse: whether a success body with this content-type header is read as JSON
    is_json: Callable[[str], bool]
    # status errors: the `error` is the body's `error` member (OpenAI) or the whole body (Anthropic)
    error_is_body_member: bool
    request_id_attr: str
    request_id_header: str
    # OpenAI copies code/param/type from the error object onto the exception
    copies_error_fields: bool
    # the error a cut response body raises in the fetch underneath
    terminated: Callable[[], Exception]
    # which SSE stream semantics (Stream.fromSSEResponse)
    sse_mode: str  # "openai" | "anthropic"
    connection_error_cause: Callable[[BaseException], JSError]
    # whether a failed attempt (not the SDK's own abort) counts as a timeout after the retries
    connection_timed_out: Callable[[BaseException], bool]
    # the HTTP stack's own timeouts for a request with the SDK's timeout (ms)
    stack_timeouts: Callable[[float], transport.StackTimeouts]
    # what a read of the body raises when the stack's body timeout fires (url, streaming, timeouts)
    body_timeout: Callable[[str, bool, transport.StackTimeouts], Exception]
    # what the fetch underneath makes of buildURL's href, per attempt: the URL it sends (it may
    # add a header, or raise node_net.RequestRefused where the fetch throws before connecting)
    fetch_url: Callable[[str, dict[str, str]], str]


def platform_headers(package_version: str) -> dict[str, str]:
    """``getPlatformHeaders()``: this runtime's equivalents (values are not compared)."""
    system = platform.system()
    os_name = {"Linux": "Linux", "Darwin": "MacOS", "Windows": "Windows", "FreeBSD": "FreeBSD",
               "OpenBSD": "OpenBSD"}.get(system, f"Other:{system.lower()}" if system else "Unknown")
    machine = platform.machine().lower()
    arch = {"x86_64": "x64", "amd64": "x64", "i386": "x32", "i686": "x32", "aarch64": "arm64",
            "arm64": "arm64", "armv7l": "arm"}.get(machine, f"other:{machine}" if machine else "unknown")
    return {
        "x-stainless-lang": "js",
        "x-stainless-package-version": package_version,
        "x-stainless-os": os_name,
        "x-stainless-arch": arch,
        "x-stainless-runtime": platform.python_implementation().lower(),
        "x-stainless-runtime-version": "v" + platform.python_version(),
    }


def merge_headers(*layers: Mapping[str, str | None] | None) -> dict[str, str]:
    """``buildHeaders([...])``: later layers win per name (case-insensitive); ``None`` removes."""
    out: dict[str, str] = {}
    for layer in layers:
        if not layer:
            continue
        for name, value in layer.items():
            key = name.lower()
            out.pop(key, None)
            if value is not None:
                out[key] = value
    return out


_FLOAT_PREFIX = re.compile(r"\s*([+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))")


def js_parse_float(text: str) -> float:
    """``parseFloat(text)``: the longest numeric prefix, NaN when there is none."""
    match = _FLOAT_PREFIX.match(text)
    if not match:
        return math.nan
    return float(match.group(1).replace("Infinity", "inf"))


_ABSOLUTE_URL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # isAbsoluteURL


def encode_uri_component(value: str) -> str:
    return quote(value, safe="-_.!~*'()")


# --- the client ------------------------------------------------------------------------------


class StainlessClient:
    """``BaseAnthropic`` / ``OpenAI`` core: one request with the SDK's retries and errors."""

    flavor: Flavor

    def __init__(
        self,
        *,
        base_url: str,
        max_retries: int | None = None,
        timeout_ms: float | None = None,
        default_query: Mapping[str, str] | None = None,
        default_headers: Mapping[str, str | None] | None = None,
    ) -> None:
        """The client options both SDKs take; ``None`` is an option left unset."""
        self.base_url = base_url
        self.max_retries = DEFAULT_MAX_RETRIES if max_retries is None else max_retries
        self.option_timeout_ms = timeout_ms
        self.timeout_ms = DEFAULT_TIMEOUT_MS if timeout_ms is None else timeout_ms
        self.default_query = dict(default_query) if default_query else None
        self.default_headers_option = dict(default_headers) if default_headers else {}
        self._platform = platform_headers(self.flavor.package_version)

    # -- request building --

    def build_url(self, path: str, query: Mapping[str, Any] | None) -> str:
        """``buildURL``: ``new URL(base + path)`` (one slash between), the default query merged
        in and set as ``url.search``; the ``href``."""
        if _ABSOLUTE_URL.match(path):
            url = whatwg_url.parse(path)
        else:
            base = self.base_url
            url = whatwg_url.parse(base + (path[1:] if base.endswith("/") and path.startswith("/") else path))
        if self.default_query:
            query = {**self.default_query, **(query or {})}
        if query is not None:
            url.set_search(self.stringify_query(query))
        return url.href

    def stringify_query(self, query: Mapping[str, Any]) -> str:
        """The Anthropic SDK's ``stringifyQuery``: ``encodeURIComponent`` of names and values."""
        return "&".join(
            f"{encode_uri_component(str(k))}={encode_uri_component(js_string(v))}"
            for k, v in query.items()
            if v is not None
        )

    def auth_headers(self) -> Mapping[str, str | None]:
        return {}

    async def prepare_options(self, headers: Mapping[str, str | None] | None) -> Mapping[str, str | None] | None:
        """``prepareOptions``: run before every attempt on the options the retries share; may add
        headers (AnthropicVertex's auth)."""
        return headers

    def build_headers(
        self,
        retry_count: int,
        headers: Mapping[str, str | None] | None,
        timeout_ms: float | None,
        has_body: bool,
    ) -> dict[str, str]:
        """``buildHeaders``: the SDK's headers for one attempt (the fetch adds its own after)."""
        raise NotImplementedError

    def serialize_body(self, body: Any) -> bytes:
        return dumps(body, self.flavor.body_indent).encode()

    # -- the retry loop (makeRequest / retryRequest) --

    def should_retry(self, response: aiohttp.ClientResponse) -> bool:
        """``shouldRetry``: ``x-should-retry``, then 408, 409, 429 and 5xx."""
        header = response.headers.get("x-should-retry")
        if header == "true":
            return True
        if header == "false":
            return False
        status = response.status
        return status in (408, 409, 429) or status >= 500

    def retry_delay_ms(self, headers: Mapping[str, str] | None, retries_remaining: int, max_retries: int) -> float:
        """``retryRequest``'s wait: ``retry-after-ms``, ``retry-after``, else the backoff."""
        timeout_ms: float | None = None
        if headers is not None:
            retry_after_ms = headers.get("retry-after-ms")
            if retry_after_ms:
                value = js_parse_float(retry_after_ms)
                if not math.isnan(value):
                    timeout_ms = value
            retry_after = headers.get("retry-after")
            if retry_after and not timeout_ms:
                seconds = js_parse_float(retry_after)
                if not math.isnan(seconds):
                    timeout_ms = seconds * 1000
                else:
                    timeout_ms = _date_parse_ms(retry_after) - time.time() * 1000
        if not (timeout_ms and not math.isnan(timeout_ms) and 0 <= timeout_ms < MAX_RETRY_AFTER_MS):
            timeout_ms = self.default_retry_timeout_ms(retries_remaining, max_retries)
        return timeout_ms

    @staticmethod
    def default_retry_timeout_ms(retries_remaining: int, max_retries: int) -> float:
        """``calculateDefaultRetryTimeoutMillis``: 0.5 s doubling up to 8 s, minus up to 25 %."""
        num_retries = max_retries - retries_remaining
        sleep_seconds = min(INITIAL_RETRY_DELAY_S * math.pow(2, num_retries), MAX_RETRY_DELAY_S)
        jitter = 1 - random.random() * 0.25
        return sleep_seconds * jitter * 1000

    async def make_request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str | None] | None = None,
        timeout_ms: float | None = None,
        max_retries: int | None = None,
    ) -> aiohttp.ClientResponse:
        """``makeRequest``: send, retry as the SDK does, raise its errors; the ok response back."""
        max_retries = (self.max_retries if max_retries is None else max_retries) if sdk_retries.get() else 0
        effective_timeout_ms = self.timeout_ms if timeout_ms is None else timeout_ms
        data = self.serialize_body(body) if body is not None else None
        url = self.build_url(path, query)
        stack = self.flavor.stack_timeouts(effective_timeout_ms)
        retries_remaining = max_retries
        while True:
            # prepareOptions mutates the options that every retry reuses
            headers = await self.prepare_options(headers)
            request_headers = self.build_headers(
                max_retries - retries_remaining, headers, timeout_ms, data is not None
            )
            for name, value in self.flavor.fetch_headers:
                request_headers.setdefault(name, value)
            outcome: aiohttp.ClientResponse | BaseException | None
            try:
                outcome = await asyncio.wait_for(
                    _fetch(method, self.flavor.fetch_url, url, request_headers, data, stack), effective_timeout_ms / 1000
                )
            except asyncio.TimeoutError:  # fetchWithTimeout's own timer: an AbortError
                outcome = None
            if not isinstance(outcome, aiohttp.ClientResponse):
                if retries_remaining:
                    await asyncio.sleep(self.retry_delay_ms(None, retries_remaining, max_retries) / 1000)
                    retries_remaining -= 1
                    continue
                if outcome is None:
                    raise APIConnectionTimeoutError("Request timed out.") from None
                if self.flavor.connection_timed_out(outcome):
                    raise APIConnectionTimeoutError("Request timed out.") from outcome
                raise APIConnectionError(
                    "Connection error.", cause=self.flavor.connection_error_cause(outcome)
                ) from outcome
            response = outcome

            if 200 <= response.status < 300:
                return response

            retry = self.should_retry(response)
            if retries_remaining and retry:
                delay_ms = self.retry_delay_ms(response.headers, retries_remaining, max_retries)
                response.release()
                await asyncio.sleep(delay_ms / 1000)
                retries_remaining -= 1
                continue

            try:
                err_text = await self._read_text(response, stack)
            finally:
                response.release()
            try:
                err_json: Any = loads(err_text)
            except JSError:
                err_json = None
            err_message = None if js_truthy(err_json) else err_text
            raise self.make_status_error(
                response.status, err_json if js_truthy(err_json) else None, err_message,
                headers_dict(response.headers),
            )

    async def _read_text(self, response: aiohttp.ClientResponse, stack: transport.StackTimeouts) -> str:
        try:
            raw = await response.read()
        except aiohttp.SocketTimeoutError:
            return str(getattr(self.flavor.body_timeout(str(response.url), False, stack), "message", ""))
        except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, ConnectionError) as exc:
            # response.text().catch(e => castToError(e).message)
            return str(getattr(self.flavor.terminated(), "message", "")) or str(exc)
        return self._text(raw)

    def _text(self, raw: bytes) -> str:
        """``response.text()``: UTF-8 with replacement, a leading BOM as the fetch has it."""
        text = raw.decode("utf-8", "replace")
        return text[1:] if self.flavor.strips_bom and text[:1] == "\ufeff" else text

    def make_status_error(
        self, status: int | None, error_response: Any, message: str | None, headers: dict[str, str] | None
    ) -> APIError:
        """``APIError.generate`` (through ``makeStatusError``)."""
        if not status or headers is None:
            return APIConnectionError(message or "Connection error.", cause=error_response)
        error = js_get(error_response, "error") if self.flavor.error_is_body_member else error_response
        cls = _STATUS_ERRORS.get(status) or (InternalServerError if status >= 500 else APIError)
        return self.new_api_error(cls, status, error, message, headers)

    def new_api_error(
        self, cls: type[APIError], status: int | None, error: Any, message: str | None,
        headers: dict[str, str] | None,
    ) -> APIError:
        """``new APIError(status, error, message, headers)`` with the SDK's own fields."""
        exc = cls(make_message(status, error, message), status=status, headers=headers, error=error)
        setattr(exc, self.flavor.request_id_attr, (headers or {}).get(self.flavor.request_id_header))
        if self.flavor.copies_error_fields:
            exc.code = js_get(error, "code")
            exc.param = js_get(error, "param")
            exc.type = js_get(error, "type")
        return exc

    # -- responses (defaultParseResponse) --

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str | None] | None = None,
        timeout_ms: float | None = None,
        stream: bool = False,
    ) -> Any:
        """Send a request and parse its response: a ``Stream`` when ``stream``, else JSON/text."""
        response = await self.make_request(
            method, path, body=body, query=query, headers=headers, timeout_ms=timeout_ms
        )
        stack = self.flavor.stack_timeouts(self.timeout_ms if timeout_ms is None else timeout_ms)
        if stream:
            return Stream(self, response, stack)
        try:
            if response.status == 204:
                return None
            raw = await self._read_body(response, stack)
        finally:
            response.release()
        text = self._text(raw)
        if self.flavor.is_json(response.headers.get("content-type", "")):
            try:
                return loads(text)
            except JSError as exc:
                raise self.flavor.invalid_json(str(response.url), exc) from None
        return text

    async def _read_body(self, response: aiohttp.ClientResponse, stack: transport.StackTimeouts) -> bytes:
        try:
            return await response.read()
        except aiohttp.SocketTimeoutError:
            raise self.flavor.body_timeout(str(response.url), False, stack) from None
        except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, ConnectionError):
            raise self.flavor.terminated() from None


async def _fetch(
    method: str,
    fetch_url: Callable[[str, dict[str, str]], str],
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    stack: transport.StackTimeouts,
) -> aiohttp.ClientResponse | BaseException:
    """``fetch(…).catch(castToError)``: the response, or the error the fetch failed with (returned,
    so that only the SDK's own timer surfaces as a timeout: the stack's are ``asyncio`` ones too).
    ``fetch_url`` is what the fetch makes of the href (it may refuse it before connecting)."""
    try:
        return await transport.request(method, fetch_url(url, headers), headers=headers, body=body, timeouts=stack)
    except (aiohttp.ClientError, OSError) as exc:
        return exc


def _date_parse_ms(text: str) -> float:
    """``Date.parse`` for an HTTP date; NaN when it is not one."""
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return math.nan
    if parsed is None:
        return math.nan
    return parsed.timestamp() * 1000


# --- streams (Stream.fromSSEResponse) --------------------------------------------------------

_ANTHROPIC_DATA_EVENTS = frozenset(
    {
        "message_start",
        "message_delta",
        "message_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
    }
)


class Stream:
    """``Stream.fromSSEResponse``: the parsed items of an SSE response, in order.

    Iterate it once. Breaking out, ``aclose()`` or cancelling closes the connection at once (the
    SDK's ``controller.abort()``); a fully read stream hands its connection back to the pool.
    """

    __slots__ = ("_client", "response", "_stack", "_iterator")

    def __init__(
        self, client: StainlessClient, response: aiohttp.ClientResponse, stack: transport.StackTimeouts
    ) -> None:
        self._client = client
        self.response = response
        self._stack = stack
        mode = client.flavor.sse_mode
        self._iterator = self._iter_openai() if mode == "openai" else self._iter_anthropic()

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iterator

    async def aclose(self) -> None:
        await self._iterator.aclose()
        # an iterator closed before its first step never ran its `finally`
        self.response.close()

    async def _sse_batches(self) -> AsyncIterator[list[ServerSentEvent]]:
        """``_iterSSEMessages`` over the body: the events each network read completes, then those
        the end of the body completes (one step per read, not per event)."""
        content = self.response.content
        terminated = self._client.flavor.terminated
        decoder = SSEStream(self._client.flavor.strips_bom)
        while True:
            try:
                chunk = await content.readany()
            except aiohttp.SocketTimeoutError:
                raise self._client.flavor.body_timeout(str(self.response.url), True, self._stack) from None
            except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, ConnectionError):
                raise terminated() from None
            if not chunk:
                break
            yield decoder.feed(chunk)
        yield decoder.end()

    async def _iter_openai(self) -> AsyncGenerator[Any, None]:
        response = self.response
        done = False
        try:
            async for batch in self._sse_batches():
                for sse in batch:
                    if done:
                        continue
                    if sse.data.startswith("[DONE]"):
                        done = True
                        continue
                    if sse.event is None or not sse.event.startswith("thread."):
                        data = loads(sse.data)
                        error = js_get(data, "error")  # only an object (truthy) has one
                        if error is not None and js_truthy(error):
                            raise self._client.new_api_error(
                                APIError, None, error, None, headers_dict(response.headers)
                            )
                        yield data
                    else:
                        data = loads(sse.data)
                        if sse.event == "error":
                            raise self._client.new_api_error(
                                APIError, None, js_get(data, "error"), js_get(data, "message"), None
                            )
                        yield {"event": sse.event, "data": data}
            done = True
        finally:
            self._finish(done)

    async def _iter_anthropic(self) -> AsyncGenerator[Any, None]:
        done = False
        try:
            async for batch in self._sse_batches():
                for sse in batch:
                    event = sse.event
                    if event == "completion" or event in _ANTHROPIC_DATA_EVENTS:
                        yield loads(sse.data)
                    elif event == "error":
                        # APIError.generate(undefined, `SSE Error: ${data}`, data, headers): no
                        # status, so an APIConnectionError, whose status and headers stay undefined
                        raise APIConnectionError(
                            sse.data or "Connection error.",
                            cause=JSError(f"SSE Error: {sse.data}"),
                        )
            done = True
        finally:
            self._finish(done)

    def _finish(self, done: bool) -> None:
        if done:
            self.response.release()
        else:
            self.response.close()
