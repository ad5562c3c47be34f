"""axios 1.12.0's ``axios.get(url)`` as the reference's model fetchers send it (Node 20).

Mirrors what a default-config GET goes through: ``lib/defaults/index.js`` (the common ``Accept``
header; ``transformResponse``: silent ``JSON.parse`` of a non-empty string body),
``lib/adapters/http.js`` (``User-Agent: axios/1.12.0``, ``Accept-Encoding``, decompression,
UTF-8 decoding with the BOM stripped, ``stream has been aborted``), ``lib/core/settle.js``
(anything but 2xx rejects with ``Request failed with status code N``), ``lib/core/AxiosError.js``
and follow-redirects 1.15.11 (which the adapter uses: up to 21 redirects). No timeout (axios's
default ``timeout: 0``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import aiohttp

from . import transport
from .errors import JSError
from .jsonjs import loads
from .node_net import node_error_reason

VERSION = "1.12.0"
MAX_REDIRECTS = 21  # follow-redirects' default, which axios keeps

ERR_BAD_REQUEST = "ERR_BAD_REQUEST"
ERR_BAD_RESPONSE = "ERR_BAD_RESPONSE"
ERR_FR_TOO_MANY_REDIRECTS = "ERR_FR_TOO_MANY_REDIRECTS"

# The request headers in the order the adapter sets them; Node adds Host and Connection.
_REQUEST_HEADERS = (
    ("Accept", "application/json, text/plain, */*"),
    ("User-Agent", f"axios/{VERSION}"),
    ("Accept-Encoding", "gzip, compress, deflate, br"),
)


@dataclass
class AxiosResponse:
    """The parts of an axios response the reference reads."""

    status: int
    status_text: str
    headers: dict[str, str]
    data: Any


class AxiosError(JSError):
    """``AxiosError``: ``message``, ``code``, and for a status error the ``response`` and ``status``."""

    js_constructor = "AxiosError"

    def __init__(self, message: str, code: str | None = None, response: AxiosResponse | None = None) -> None:
        super().__init__(message, name="AxiosError")
        self.code = code
        self.response = response
        if response is not None:
            self.status = response.status or None


# lib/adapters/http.js: `new URL(fullPath)` then `parsed.pathname + parsed.search`
_PATH_UNSAFE = re.compile(r'[\x00-\x20"#<>`{}\x7f]|[^\x00-\x7f]')
_QUERY_UNSAFE = re.compile(r"[\x00-\x20\"#<>'\x7f]|[^\x00-\x7f]")


def _percent_encode(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group(0).encode("utf-8"))


def _whatwg_url(url: str) -> str:
    """The URL as WHATWG ``new URL()`` serialises it (path and query percent-encoding)."""
    url = url.split("#", 1)[0]
    base, sep, query = url.partition("?")
    scheme, _, rest = base.partition("://")
    host, slash, path = rest.partition("/")
    path = _PATH_UNSAFE.sub(_percent_encode, slash + path) or "/"
    return f"{scheme.lower()}://{host.lower()}{path}" + (sep + _QUERY_UNSAFE.sub(_percent_encode, query) if sep else "")


def _transform_response(text: str) -> Any:
    """``transformResponse`` with the default ``transitional``: JSON when it parses, else the text."""
    if not text:
        return text
    try:
        return loads(text)
    except JSError:
        return text


async def get(url: str) -> AxiosResponse:
    """``axios.get(url)``: the response of a 2xx answer, else an ``AxiosError``."""
    current = _whatwg_url(url)
    headers = dict(_REQUEST_HEADERS)  # nothing to drop on a redirect: no credentials, no body
    redirects = 0
    while True:
        try:
            response = await transport.request("GET", current, headers=headers, limited=False)
        except (aiohttp.ClientError, OSError) as exc:
            message, code = node_error_reason(exc, current)
            raise AxiosError(message, code) from None
        location = response.headers.get("location")
        if not (location and 300 <= response.status < 400):
            break
        # follow-redirects: drop the response, GET the Location (resolved against this URL)
        response.close()
        redirects += 1
        if redirects > MAX_REDIRECTS:
            raise AxiosError("Maximum number of redirects exceeded", ERR_FR_TOO_MANY_REDIRECTS)
        current = _whatwg_url(urljoin(current, location))
    try:
        raw = await response.read()
    except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, ConnectionError):
        raise AxiosError("stream has been aborted", ERR_BAD_RESPONSE) from None
    finally:
        response.release()
    text = raw.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    result = AxiosResponse(
        response.status,
        response.reason or "",
        {k.lower(): v for k, v in response.headers.items()},
        _transform_response(text),
    )
    # lib/core/settle.js with the default validateStatus
    if not (200 <= result.status < 300):
        code = (ERR_BAD_REQUEST, ERR_BAD_RESPONSE)[result.status // 100 - 4] if 400 <= result.status < 600 else None
        raise AxiosError(f"Request failed with status code {result.status}", code, result)
    return result
