"""gaxios as google-auth-library and gcp-metadata run it: one request, its retries, its errors.

Two versions sit behind the goldens: **7.1.3** (``build/cjs/src/gaxios.js``, ``retry.js``,
``common.js``: ``extractAPIErrorFromResponse``; on node-fetch 3.3.2) under google-auth-library
10.5.0, and **6.7.1** (``build/src/gaxios.js``, ``retry.js``, ``common.js``; node-fetch 2.7.0)
under 9.15.1, where the auth clients' requests also go through ``transporters.js``
(``DefaultTransporter.processError``). Requests leave through ``providers.sdk.transport`` with
the headers the caller gives, in that order; nothing is added but ``Host`` and
``Content-Length``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import aiohttp

from . import transport
from ..js.errors import JSError
from ..js.jsonjs import js_get, js_string, js_truthy, loads
from ..js.node_net import node_error_reason
from .retries import enabled as sdk_retries

__all__ = ["GaxiosError", "Response", "Retry", "request", "V6", "V7"]

V7 = "7.1.3"
V6 = "6.7.1"

# retry.js defaults when a retryConfig is present without counts
RETRY_COUNT = 3
NO_RESPONSE_RETRIES = 2
RETRY_DELAY_MS = 100
RETRY_DELAY_MULTIPLIER = 2
STATUS_CODES_TO_RETRY = ((100, 199), (408, 408), (429, 429), (500, 599))
DEFAULT_METHODS_TO_RETRY = ("GET", "HEAD", "PUT", "OPTIONS", "DELETE")
ALL_METHODS_TO_RETRY = ("GET", "PUT", "POST", "HEAD", "OPTIONS", "DELETE")


@dataclass(frozen=True)
class Retry:
    """``retryConfig``: how often a request is sent again (retry.js ``getRetryConfig``)."""

    methods: tuple[str, ...] = DEFAULT_METHODS_TO_RETRY
    no_response_retries: int = NO_RESPONSE_RETRIES
    retry: int = RETRY_COUNT


class GaxiosError(JSError):
    """gaxios ``GaxiosError`` (``err.name`` stays ``Error``): ``status`` and ``code`` as set."""

    js_constructor = "GaxiosError"

    def __init__(self, message: str, *, response_data: Any = None, has_response: bool = False, **props: Any):
        super().__init__(message, name="Error", **props)
        self.response_data = response_data
        self.has_response = has_response


@dataclass
class Response:
    """What callers read of a gaxios response."""

    status: int
    headers: dict[str, str]  # lower-cased names
    data: Any


class _NoResponse(Exception):
    """A request that failed before a response came (node-fetch ``FetchError`` / abort)."""

    def __init__(self, message: str, code: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


async def _fetch_once(
    method: str, url: str, headers: dict[str, str], body: bytes | None
) -> tuple[int, str, dict[str, str], bytes]:
    try:
        response = await transport.request(method, url, headers=headers, body=body, limited=False)
    except (aiohttp.ClientError, OSError) as exc:
        reason, code = node_error_reason(exc, url)
        raise _NoResponse(f"request to {url} failed, reason: {reason}", code) from None
    try:
        raw = await response.read()
    except (aiohttp.ClientError, OSError):
        raise _NoResponse(
            f"Invalid response body while trying to fetch {url}: Premature close", "ERR_STREAM_PREMATURE_CLOSE"
        ) from None
    finally:
        response.release()
    resp_headers = {k.lower(): v for k, v in response.headers.items()}
    return response.status, response.reason or "", resp_headers, raw


async def _fetch_with_timeout(
    version: str, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout_ms: float | None
) -> tuple[int, str, dict[str, str], bytes]:
    """``timeout``: node-fetch 2's own option (6.x), ``AbortSignal.timeout`` (7.x)."""
    if not timeout_ms:
        return await _fetch_once(method, url, headers, body)
    try:
        return await asyncio.wait_for(_fetch_once(method, url, headers, body), timeout_ms / 1000)
    except asyncio.TimeoutError:
        if version == V6:
            raise _NoResponse(f"network timeout at: {url}", None) from None
        raise _NoResponse("The operation was aborted due to timeout", "TimeoutError") from None


def response_data(response_type: str, headers: dict[str, str], raw: bytes, strip_bom: bool) -> Any:
    """``getResponseData``: ``json`` parses when it can, ``text`` keeps the text; otherwise by
    content-type. ``res.text()`` drops a leading BOM on node-fetch 3.3.2 (``strip_bom``, gaxios 7)
    and keeps it on 2.7 (gaxios 6)."""
    text = raw.decode("utf-8", "replace")
    if strip_bom and text[:1] == "\ufeff":
        text = text[1:]
    if response_type == "text":
        return text
    if response_type == "json":
        return _parse_or_text(text)
    content_type = headers.get("content-type")
    if content_type is None:
        return text
    content_type = content_type.lower()
    if "application/json" in content_type:
        return _parse_or_text(text)
    if content_type.startswith("text/"):
        return text
    return {}  # a Blob: an object with none of the fields read from it


def _parse_or_text(text: str) -> Any:
    try:
        return loads(text)
    except JSError:
        return text


def _extract_api_error(data: Any, status: int, status_text: str) -> dict[str, Any]:
    """gaxios 7 ``GaxiosError.extractAPIErrorFromResponse``."""
    message: Any = f"Request failed with status code {status}"
    if isinstance(data, str):
        message = data
    error = js_get(data, "error")
    if isinstance(data, dict) and "error" in data and js_truthy(error):
        if isinstance(error, str):
            return {"message": error, "code": status, "status": status_text}
        if isinstance(error, dict):
            if isinstance(error.get("message"), str):
                message = error["message"]
            err_status = error["status"] if isinstance(error.get("status"), str) else status_text
            code = error["code"] if isinstance(error.get("code"), (int, float)) and not isinstance(
                error.get("code"), bool
            ) else status
            errors = error.get("errors")
            if isinstance(errors, list):
                messages = [e["message"] for e in errors if isinstance(e, dict) and isinstance(e.get("message"), str)]
                message = "\n".join(messages) or message
            return {"message": message, "code": code, "status": err_status, **error}
    return {"message": message, "code": status, "status": status_text}


def status_error(version: str, status: int, status_text: str, data: Any, *, transporter: bool = False) -> GaxiosError:
    """The error gaxios raises for a status (7.x: from the body; 6.x: ``Request failed with status
    code N``, which 9.x's ``DefaultTransporter.processError`` rewrites when ``transporter``)."""
    if version == V7:
        info = _extract_api_error(data, status, status_text)
        code = info.get("code")
        return GaxiosError(
            js_string(info["message"]), response_data=data, has_response=True, status=status,
            code=code if isinstance(code, (str, int, float)) and not isinstance(code, bool) else None,
        )
    err = GaxiosError(f"Request failed with status code {status}", response_data=data, has_response=True, status=status)
    if not transporter:
        return err
    error = js_get(data, "error")
    if js_truthy(data) and js_truthy(error) and status != 200:
        if isinstance(error, str):
            err.message = error
        elif isinstance(js_get(error, "errors"), list):
            messages = (js_get(e, "message") for e in error["errors"])
            err.message = "\n".join("" if m is None else js_string(m) for m in messages)
            err.code = js_get(error, "code")
        else:
            message = js_get(error, "message")
            err.message = "undefined" if message is None else js_string(message)
            err.code = js_get(error, "code")
    elif status >= 400:
        err.message = data if isinstance(data, str) else js_string(data)
    return err


def retry_delay_ms(attempt: int) -> float:
    """retry.js ``getNextRetryDelay``: 100 ms, then (2^n − 1)/2 s."""
    base = 0 if attempt else RETRY_DELAY_MS
    return base + ((float(RETRY_DELAY_MULTIPLIER) ** attempt - 1) / 2) * 1000


async def request(
    version: str,
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None = None,
    *,
    response_type: str = "unknown",
    retry: Retry | None = None,
    timeout_ms: float | None = None,
    transporter: bool = False,
) -> Response:
    """``gaxios.request(opts)``: the response of a 2xx answer, else a ``GaxiosError``.

    With ``retry``, retry.js's ``shouldRetryRequest``: a method it lists is sent again up to
    ``retry`` times for 1xx, 408, 429 and 5xx, and up to ``no_response_retries`` times when no
    response came, after 100 ms, 500 ms, 1.5 s, …
    """
    if not sdk_retries.get():  # ours: a caller that retries itself (providers.sdk.retries)
        retry = None
    attempt = 0
    while True:
        try:
            status, status_text, resp_headers, raw = await _fetch_with_timeout(
                version, method, url, headers, body, timeout_ms
            )
        except _NoResponse as exc:
            if retry is not None and method in retry.methods and attempt < retry.no_response_retries and (
                attempt < retry.retry
            ):
                await asyncio.sleep(retry_delay_ms(attempt) / 1000)
                attempt += 1
                continue
            raise GaxiosError(exc.message, code=exc.code) from None
        payload = response_data(response_type, resp_headers, raw, version == V7)
        if 200 <= status < 300:
            return Response(status, resp_headers, payload)
        if retry is not None and method in retry.methods and attempt < retry.retry and any(
            lo <= status <= hi for lo, hi in STATUS_CODES_TO_RETRY
        ):
            await asyncio.sleep(retry_delay_ms(attempt) / 1000)
            attempt += 1
            continue
        raise status_error(version, status, status_text, payload, transporter=transporter)
