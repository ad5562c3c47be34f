"""@anthropic-ai/sdk 0.37.0 as the reference uses it, on node-fetch 2.7.0.

Mirrors ``src/core.ts`` (``APIClient``: ``defaultHeaders``, ``buildHeaders``), ``src/index.ts``
(``Anthropic``: constructor, ``authHeaders``, ``validateHeaders``) and
``src/resources/messages/messages.ts`` (``Messages.create``). The request/retry/error/stream
core is ``stainless.py``; @anthropic-ai/vertex-sdk builds on ``AnthropicCore`` here.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from typing import Any, Mapping

from . import transport
from ..js import whatwg_url
from ..js.errors import JSError
from ..js.node_net import RequestRefused, basic_auth, shown_href, strip_credentials
from ..js.jsonjs import UNDEFINED, Undefined, js_number
from .stainless import DEFAULT_TIMEOUT_MS, Flavor, StainlessClient, StainlessError, merge_headers

VERSION = "0.37.0"
DEFAULT_BASE_URL = "https://api.anthropic.com"
ANTHROPIC_VERSION = "2023-06-01"
KEEPALIVE_AGENT_TIMEOUT_MS = 5 * 60 * 1000
"""``_shims/node-runtime.ts``: the default agents are agentkeepalive's with ``timeout: 5 min``
(a socket silent that long is destroyed); a test may lower it."""


class AnthropicError(StainlessError):
    """``AnthropicError``: the SDK's own client-side errors."""

    js_constructor = "AnthropicError"


def read_env(name: str) -> str | None:
    """``Core.readEnv``: the variable's value, trimmed; ``None`` when unset."""
    value = os.environ.get(name)
    return value.strip() if value is not None else None


def _premature_close() -> Exception:
    # node-fetch 2.7: a body whose socket closes early errors with 'Premature close'
    return JSError("Premature close", code="ERR_STREAM_PREMATURE_CLOSE")


def _fetch_error(exc: BaseException) -> JSError:
    # node-fetch: FetchError "request to <url> failed, reason: …"
    if isinstance(exc, RequestRefused):
        return exc.js_error
    return JSError(str(exc), name="FetchError", type="system")


def _invalid_json(url: str, error: JSError) -> JSError:
    # node-fetch 2.7: json() rejects with FetchError "invalid json response body at <url> reason: …"
    return JSError(f"invalid json response body at {url} reason: {error.message}", name="FetchError", type="invalid-json")


def _is_json(content_type: str) -> bool:
    # core.ts defaultParseResponse: anywhere in the header, case as sent
    return "application/json" in content_type or "application/vnd.api+json" in content_type


def _aborted_only(exc: BaseException) -> bool:
    # core.ts makeRequest: only an AbortError (the SDK's own timer) is a timeout
    return False


def _agent_timeouts(timeout_ms: float) -> transport.StackTimeouts:
    """node-fetch on node:http with the SDK's agentkeepalive agent: no connect timeout; the socket
    timeout, which ``buildRequest`` raises to the request's timeout + 1 s, bounds every silence.

    The agent is shared and keeps the largest value it was raised to; every request of the
    reference has the same timeout, so that is this request's.
    """
    agent_s = max(KEEPALIVE_AGENT_TIMEOUT_MS, timeout_ms + 1000) / 1000
    return transport.StackTimeouts(connect_s=None, headers_s=agent_s, body_s=agent_s)


def _socket_timeout(url: str, stream: bool, stack: transport.StackTimeouts) -> Exception:
    """agentkeepalive destroys the silent socket with ``Error('Socket timeout')``: a stream's read
    rejects with it, ``response.json()``/``text()`` with node-fetch's ``FetchError`` around it."""
    timeout_ms = round((stack.body_s or 0) * 1000)
    if stream:
        return JSError("Socket timeout", code="ERR_SOCKET_TIMEOUT", timeout=timeout_ms)
    return JSError(
        f"Invalid response body while trying to fetch {url}: Socket timeout",
        name="FetchError",
        js_constructor="FetchError",
        type="system",
        errno="ERR_SOCKET_TIMEOUT",
        code="ERR_SOCKET_TIMEOUT",
    )


# Node's legacy url.parse escapes these after the host (its autoEscape characters)
_URL_PARSE_ESCAPES = re.compile(r"[\t\n\r \"'<>\\^`{|}]")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _node_fetch_url(href: str, headers: dict[str, str]) -> str:
    """node-fetch 2.7's ``parseURL``: ``new URL(href).toString()`` through Node's legacy
    ``url.parse``, which percent-encodes the characters WHATWG leaves alone (``|``, ``^``, and in
    a query ``{}`` and ``\\``) in path, query and fragment, and whose ``auth`` (the user info,
    percent-decoded) ``http.request`` sends as ``Basic`` unless there is an ``Authorization``."""
    url = whatwg_url.parse(href)
    if url.username or url.password:
        userinfo = url.username + (":" + url.password if url.password else "")
        auth = _decode_uri_component(userinfo)
        if auth is None:
            raise RequestRefused(shown_href(url), JSError("URI malformed", name="URIError"))
        if "authorization" not in {name.lower() for name in headers}:
            headers["Authorization"] = basic_auth(auth)
        href = strip_credentials(url)
    tail = url.pathname + ("?" + url.query if url.query is not None else "")
    tail += "#" + url.fragment if url.fragment is not None else ""
    return href[: len(href) - len(tail)] + _URL_PARSE_ESCAPES.sub(lambda m: f"%{ord(m.group()):02X}", tail)


def _decode_uri_component(text: str) -> str | None:
    """``decodeURIComponent``; ``None`` where it throws ``URIError: URI malformed``."""
    if _BAD_PERCENT.search(text):
        return None
    try:
        return urllib.parse.unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        return None


ANTHROPIC_SDK = Flavor(
    package_version=VERSION,
    # node-fetch's own request headers: added when the request has none of them
    fetch_headers=(("accept-encoding", "gzip,deflate"), ("accept", "*/*")),
    body_indent=2,
    strips_bom=False,
    invalid_json=_invalid_json,
    is_json=_is_json,
    error_is_body_member=False,
    request_id_attr="request_id",
    request_id_header="request-id",
    copies_error_fields=False,
    terminated=_premature_close,
    sse_mode="anthropic",
    connection_error_cause=_fetch_error,
    connection_timed_out=_aborted_only,
    stack_timeouts=_agent_timeouts,
    body_timeout=_socket_timeout,
    fetch_url=_node_fetch_url,
)


class AnthropicCore(StainlessClient):
    """``APIClient`` of core.ts: headers as 0.37 builds them."""

    flavor = ANTHROPIC_SDK
    client_name = "Anthropic"

    def default_headers(self) -> dict[str, str | None]:
        """``defaultHeaders(opts)`` of core.ts."""
        return {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": f"{self.client_name}/JS {VERSION}",
            **self._platform,
            **self.auth_headers(),
        }

    def validate_headers(self, headers: dict[str, str], custom: Mapping[str, str | None]) -> None:
        return None

    def build_headers(
        self,
        retry_count: int,
        headers: Mapping[str, str | None] | None,
        timeout_ms: float | None,
        has_body: bool,
    ) -> dict[str, str]:
        """``buildHeaders``: defaults, the request's headers, retry count and timeout."""
        defaults = self.default_headers()
        custom = headers or {}
        out = merge_headers(defaults, custom)
        lower_defaults = {k.lower() for k in defaults}
        lower_custom = {k.lower() for k in custom}
        if "x-stainless-retry-count" not in lower_defaults | lower_custom:
            out["x-stainless-retry-count"] = str(retry_count)
        effective = self.timeout_ms if timeout_ms is None else timeout_ms
        if "x-stainless-timeout" not in lower_defaults | lower_custom and effective:
            out["x-stainless-timeout"] = js_number(float(effective))
        self.validate_headers(out, {k.lower(): v for k, v in custom.items()})
        return out

    def nonstreaming_timeout_ms(self, max_tokens: int) -> float:
        """``_calculateNonstreamingTimeout``."""
        default_timeout = 10 * 60
        expected_timeout = (60 * 60 * max_tokens) / 128_000
        if expected_timeout > default_timeout:
            raise AnthropicError(
                "Streaming is strongly recommended for operations that may take longer than 10 minutes. "
                "See https://github.com/anthropics/anthropic-sdk-python#streaming-responses for more details"
            )
        return default_timeout * 1000

    def messages_path(self, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Where ``messages.create`` posts, and the body it sends (Vertex rewrites both)."""
        return "/v1/messages", body

    async def messages_create(
        self,
        body: dict[str, Any],
        *,
        headers: Mapping[str, str | None] | None = None,
        timeout_ms: float | None = None,
    ) -> Any:
        """``client.messages.create(body, options)``: a ``Stream`` when ``body.stream``."""
        stream = bool(body.get("stream", False))
        if timeout_ms is None:
            timeout_ms = self.option_timeout_ms
            if timeout_ms is None:
                timeout_ms = DEFAULT_TIMEOUT_MS if stream else self.nonstreaming_timeout_ms(body["max_tokens"])
        path, payload = self.messages_path(body)
        return await self.request("POST", path, body=payload, headers=headers, timeout_ms=timeout_ms, stream=stream)


class Anthropic(AnthropicCore):
    """``new Anthropic({ baseURL, apiKey, authToken, defaultHeaders, … })``."""

    def __init__(
        self,
        *,
        api_key: str | None | Undefined = UNDEFINED,
        auth_token: str | None | Undefined = UNDEFINED,
        base_url: str | None = None,
        default_headers: Mapping[str, str | None] | None = None,
        timeout_ms: float | None = None,
        max_retries: int | None = None,
    ) -> None:
        # the destructuring defaults apply to an undefined option only: an explicit null stays null
        if base_url is None:
            base_url = read_env("ANTHROPIC_BASE_URL")
        if isinstance(api_key, Undefined):
            api_key = read_env("ANTHROPIC_API_KEY")
        if isinstance(auth_token, Undefined):
            auth_token = read_env("ANTHROPIC_AUTH_TOKEN")
        super().__init__(
            base_url=base_url or DEFAULT_BASE_URL,
            timeout_ms=timeout_ms,
            max_retries=max_retries,
            default_headers=default_headers,
        )
        self.api_key = api_key
        self.auth_token = auth_token

    def default_headers(self) -> dict[str, str | None]:
        return {
            **super().default_headers(),
            "anthropic-version": ANTHROPIC_VERSION,
            **self.default_headers_option,
        }

    def auth_headers(self) -> Mapping[str, str | None]:
        if self.api_key is not None:
            return {"X-Api-Key": self.api_key}
        if self.auth_token is not None:
            return {"Authorization": f"Bearer {self.auth_token}"}
        return {}

    def validate_headers(self, headers: dict[str, str], custom: Mapping[str, str | None]) -> None:
        if self.api_key and headers.get("x-api-key"):
            return
        if "x-api-key" in custom and custom["x-api-key"] is None:
            return
        if self.auth_token and headers.get("authorization"):
            return
        if "authorization" in custom and custom["authorization"] is None:
            return
        raise JSError(
            'Could not resolve authentication method. Expected either apiKey or authToken to be set. '
            'Or for one of the "X-Api-Key" or "Authorization" headers to be explicitly omitted'
        )
