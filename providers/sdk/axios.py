"""axios 1.12.0's ``axios.get(url, { headers })`` as the reference's model fetchers send it (Node 20).

Mirrors what a default-config GET goes through: ``lib/defaults/index.js`` (the common ``Accept``
header; ``transformResponse``: silent ``JSON.parse`` of a non-empty string body),
``lib/core/mergeConfig.js`` and ``lib/core/AxiosHeaders.js`` (the caller's headers merged in
case-insensitively), ``lib/adapters/http.js`` (``User-Agent: axios/1.12.0``, ``Accept-Encoding``,
decompression, UTF-8 decoding with the BOM stripped, ``stream has been aborted``),
``lib/core/settle.js`` (anything but 2xx rejects with ``Request failed with status code N``),
``lib/core/AxiosError.js`` and follow-redirects 1.15.11 (which the adapter uses: up to 21
redirects, credentials dropped when leaving the host). No timeout (axios's default ``timeout: 0``).

Proxies as the adapter's ``setProxy`` takes them from the environment through proxy-from-env 1.1.0
(``getProxyForUrl``: ``https_proxy`` / ``http_proxy`` / ``all_proxy`` and their ``npm_config_``
forms, lower case first; ``no_proxy``): the request goes to the proxy in absolute form over the
proxy's own protocol, an https target included (no ``CONNECT``), with ``Proxy-Authorization``
from the proxy URL's user info and a ``host`` header naming the target; again after each redirect.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from . import transport
from ..js import whatwg_url
from ..js.errors import JSError, JSTypeError
from ..js.jsonjs import loads
from ..js.node_net import basic_auth, node_error_reason, strip_credentials
from ..js.whatwg_url import url_can_parse

VERSION = "1.12.0"
MAX_REDIRECTS = 21  # follow-redirects' default, which axios keeps

ERR_BAD_REQUEST = "ERR_BAD_REQUEST"
ERR_BAD_RESPONSE = "ERR_BAD_RESPONSE"
ERR_FR_TOO_MANY_REDIRECTS = "ERR_FR_TOO_MANY_REDIRECTS"

# defaults.headers.common: `Content-Type: undefined` holds a place that only a caller's value fills
_COMMON_HEADERS: tuple[tuple[str, str | None], ...] = (
    ("Accept", "application/json, text/plain, */*"),
    ("Content-Type", None),
)
# what the http adapter sets unless the request has it; Node adds Host and Connection
_ADAPTER_HEADERS = (
    ("User-Agent", f"axios/{VERSION}"),
    ("Accept-Encoding", "gzip, compress, deflate, br"),
)
# proxy-from-env: the ports a scheme implies
_DEFAULT_PORTS = {"ftp": 21, "gopher": 70, "http": 80, "https": 443, "ws": 80, "wss": 443}
# follow-redirects: dropped on a redirect to another host (not a subdomain) or off https
_CONFIDENTIAL_HEADER = re.compile(r"(?:(?:proxy-)?authorization|cookie)", re.I)


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


def _request_url(url: str, base: str | None = None) -> str:
    """lib/adapters/http.js (and follow-redirects for a ``Location``): ``new URL(url, base)``,
    sent as origin, ``pathname`` and ``search``."""
    parsed = whatwg_url.parse(url, base)
    parsed.fragment = None
    return parsed.href


def _transform_response(text: str) -> Any:
    """``transformResponse`` with the default ``transitional``: JSON when it parses, else the text."""
    if not text:
        return text
    try:
        return loads(text)
    except JSError:
        return text


def _request_headers(custom: Mapping[str, str] | None) -> dict[str, str]:
    """The request's headers in axios's order: the common defaults, then the caller's, each name
    at the place of its first spelling (case-insensitive) with its last value, then the adapter's."""
    merged: dict[str, tuple[str, str | None]] = {name.lower(): (name, value) for name, value in _COMMON_HEADERS}
    for name, value in (custom or {}).items():
        key = name.strip().lower()
        merged[key] = (merged[key][0] if key in merged else name, value)
    for name, value in _ADAPTER_HEADERS:
        merged.setdefault(name.lower(), (name, value))
    return {name: value for name, value in merged.values() if value is not None}


def _redirect_headers(headers: dict[str, str], current: str, target: str) -> dict[str, str]:
    """follow-redirects' ``_processResponse`` for a GET: ``Host`` goes (its value, if any, is the
    current host); credentials and cookies go unless the target is that host or a subdomain of
    it on a protocol no weaker."""
    kept = {name: value for name, value in headers.items() if name.lower() != "host"}
    host_header = [value for name, value in headers.items() if name.lower() == "host"]
    current_parts, target_parts = urlsplit(current), urlsplit(target)
    current_host = host_header[-1].strip() if host_header else current_parts.netloc.rpartition("@")[2]
    target_host = target_parts.netloc.rpartition("@")[2]
    weaker = target_parts.scheme != current_parts.scheme and target_parts.scheme != "https"
    other_host = target_host != current_host and not _is_subdomain(target_host, current_host)
    if weaker or other_host:
        kept = {name: value for name, value in kept.items() if not _CONFIDENTIAL_HEADER.fullmatch(name)}
    return kept


def _is_subdomain(subdomain: str, domain: str) -> bool:
    """follow-redirects' ``isSubdomain``."""
    dot = len(subdomain) - len(domain) - 1
    return dot > 0 and subdomain[dot] == "." and subdomain.endswith(domain)


def _get_env(key: str) -> str:
    return os.environ.get(key.lower()) or os.environ.get(key.upper()) or ""


def get_proxy_for_url(url: str) -> str:
    """proxy-from-env ``getProxyForUrl``: the proxy URL for ``url``, ``""`` for none."""
    parsed = urlsplit(url)
    proto, host = parsed.scheme, parsed.netloc.rpartition("@")[2].lower()
    if not host or not proto:
        return ""
    hostname = re.sub(r":\d*$", "", host)
    port_text = re.search(r":(\d+)$", host)
    port = (int(port_text.group(1)) if port_text else 0) or _DEFAULT_PORTS.get(proto, 0)
    if not _should_proxy(hostname, port):
        return ""
    proxy = (
        _get_env(f"npm_config_{proto}_proxy") or _get_env(f"{proto}_proxy") or _get_env("npm_config_proxy")
        or _get_env("all_proxy")
    )
    if proxy and "://" not in proxy:
        proxy = f"{proto}://{proxy}"  # no scheme: the request's own
    return proxy


def _should_proxy(hostname: str, port: int) -> bool:
    """proxy-from-env ``shouldProxy``: ``no_proxy`` entries (comma or space separated) are exact
    hosts, ``.suffix`` / ``*suffix`` patterns, optionally with ``:port``; ``*`` matches all."""
    no_proxy = (_get_env("npm_config_no_proxy") or _get_env("no_proxy")).lower()
    if not no_proxy:
        return True
    if no_proxy == "*":
        return False
    for entry in re.split(r"[,\s]", no_proxy):
        if not entry:
            continue
        parsed = re.match(r"^(.+):(\d+)$", entry)
        entry_host = parsed.group(1) if parsed else entry
        entry_port = int(parsed.group(2)) if parsed else 0
        if entry_port and entry_port != port:
            continue
        if not re.match(r"^[.*]", entry_host):
            if hostname == entry_host:
                return False
            continue
        if hostname.endswith(entry_host[1:] if entry_host.startswith("*") else entry_host):
            return False
    return True


def _set_proxy(headers: dict[str, str], location: str) -> str | None:
    """http.js ``setProxy``: the proxy origin for ``location`` (``None``: go direct), with
    ``Proxy-Authorization`` and ``host`` set in ``headers``."""
    proxy_url = get_proxy_for_url(location)
    if not proxy_url:
        return None
    if not url_can_parse(proxy_url):
        raise JSTypeError("Invalid URL", code="ERR_INVALID_URL")
    proxy = urlsplit(proxy_url)
    userinfo, _, proxy_host = proxy.netloc.rpartition("@")
    username, _, password = userinfo.partition(":")
    if username:
        headers["Proxy-Authorization"] = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    target = urlsplit(location)
    headers["host"] = (target.hostname or "") + (f":{target.port}" if target.port else "")
    return f"{proxy.scheme.lower()}://{proxy_host.lower()}"


async def get(url: str, headers: Mapping[str, str] | None = None) -> AxiosResponse:
    """``axios.get(url, { headers })``: the response of a 2xx answer, else an ``AxiosError``."""
    current = _request_url(url)
    request_headers = _request_headers(headers)
    # lib/adapters/http.js: the URL's user info, as serialized, replaces any Authorization and
    # goes to http.request as its `auth` (a Basic header); a redirect keeps no `auth`
    basic: dict[str, str] = {}
    parsed = whatwg_url.parse(current)
    if parsed.username:
        request_headers = {name: value for name, value in request_headers.items() if name.lower() != "authorization"}
        basic = {"Authorization": basic_auth(f"{parsed.username}:{parsed.password}")}
        current = strip_credentials(parsed)
    redirects = 0
    while True:
        proxy = _set_proxy(request_headers, current)
        try:
            response = await transport.request(
                "GET", current, headers={**request_headers, **basic}, limited=False, proxy=proxy
            )
        except (aiohttp.ClientError, OSError) as exc:
            message, code = node_error_reason(exc, proxy or current)
            raise AxiosError(message, code) from None
        location = response.headers.get("location")
        if not (location and 300 <= response.status < 400):
            break
        # follow-redirects: drop the response, GET the Location (resolved against this URL)
        response.close()
        redirects += 1
        if redirects > MAX_REDIRECTS:
            raise AxiosError("Maximum number of redirects exceeded", ERR_FR_TOO_MANY_REDIRECTS)
        target = strip_credentials(whatwg_url.parse(_request_url(location, current)))
        request_headers = _redirect_headers(request_headers, current, target)
        current, basic = target, {}
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
