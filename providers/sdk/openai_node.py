"""openai-node 5.12.2 as the reference uses it, on Node 20's fetch (undici).

Mirrors ``src/client.ts`` (``OpenAI``: constructor checks, ``buildHeaders``, ``authHeaders``),
``src/azure.ts`` (``AzureOpenAI``), ``src/resources/chat/completions/completions.ts`` and
``src/resources/responses/responses.ts`` (``create``). The request/retry/error/stream core is
``stainless.py``; this module holds what is particular to openai-node and undici.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any, Mapping
from urllib.parse import quote

from . import transport
from ..js.errors import JSError, JSTypeError
from ..js.jsonjs import js_get, js_string, js_truthy
from ..js.node_net import RequestRefused, body_timeout_terminated, undici_request_url
from .stainless import Flavor, StainlessClient, StainlessError, merge_headers

VERSION = "5.12.2"


class OpenAIError(StainlessError):
    """``OpenAIError``: the SDK's own client-side errors (constructor checks and the like)."""

    js_constructor = "OpenAIError"


def _terminated() -> Exception:
    # undici: a response body cut short rejects the read with TypeError('terminated')
    return JSTypeError("terminated")


def _fetch_failed(exc: BaseException) -> JSError:
    # undici: a request that never got a response rejects with TypeError('fetch failed')
    if isinstance(exc, RequestRefused):
        return exc.js_error
    return JSTypeError("fetch failed", cause=str(exc))


def _invalid_json(url: str, error: JSError) -> JSError:
    # undici: response.json() rejects with JSON.parse's SyntaxError itself
    return error


def _is_json(content_type: str) -> bool:
    # internal/parse.ts: the media type (before any `;`) names JSON or ends with +json
    media_type = content_type.split(";")[0].strip()
    return "application/json" in media_type or media_type.endswith("+json")


_TIMED_OUT = re.compile(r"timed? ?out", re.I)


def _timed_out(exc: BaseException) -> bool:
    # makeRequest's isTimeout: /timed? ?out/i on the error and its cause (undici's
    # HeadersTimeoutError / ConnectTimeoutError, an OS "timed out")
    return bool(_TIMED_OUT.search(str(exc)))


def _undici_timeouts(timeout_ms: float) -> transport.StackTimeouts:
    # the SDK's own timeout does not change the global dispatcher's
    return transport.undici_timeouts()


def _body_timeout(url: str, stream: bool, stack: transport.StackTimeouts) -> Exception:
    return body_timeout_terminated()


def _undici_fetch_url(href: str, headers: dict[str, str]) -> str:
    # undici's new Request(url): a URL with credentials throws before connecting
    return undici_request_url(href)


OPENAI_NODE = Flavor(
    package_version=VERSION,
    # undici's own request headers (Node 20): added when the request has none of them
    fetch_headers=(("accept-language", "*"), ("sec-fetch-mode", "cors"), ("accept-encoding", "gzip, deflate")),
    body_indent=None,
    strips_bom=True,
    invalid_json=_invalid_json,
    is_json=_is_json,
    error_is_body_member=True,
    request_id_attr="requestID",
    request_id_header="x-request-id",
    copies_error_fields=True,
    terminated=_terminated,
    sse_mode="openai",
    connection_error_cause=_fetch_failed,
    connection_timed_out=_timed_out,
    stack_timeouts=_undici_timeouts,
    body_timeout=_body_timeout,
    fetch_url=_undici_fetch_url,
)

API_KEY_SENTINEL = "<Missing Key>"

# src/azure.ts: the paths that get /deployments/<model> in front
DEPLOYMENTS_ENDPOINTS = frozenset(
    {
        "/completions",
        "/chat/completions",
        "/embeddings",
        "/audio/transcriptions",
        "/audio/translations",
        "/audio/speech",
        "/images/generations",
        "/batches",
        "/images/edits",
    }
)


class OpenAI(StainlessClient):
    """``new OpenAI({ baseURL, apiKey, defaultHeaders, timeout, … })``."""

    flavor = OPENAI_NODE
    client_name = "OpenAI"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        default_headers: Mapping[str, str | None] | None = None,
        default_query: Mapping[str, str] | None = None,
        timeout_ms: float | None = None,
        max_retries: int | None = None,
    ) -> None:
        if api_key is None:
            api_key = os.environ.get("OPENAI_API_KEY") or None
        if api_key is None:
            raise OpenAIError(
                "The OPENAI_API_KEY environment variable is missing or empty; either provide it, or "
                "instantiate the OpenAI client with an apiKey option, like new OpenAI({ apiKey: 'My API Key' })."
            )
        if base_url is None:
            base_url = os.environ.get("OPENAI_BASE_URL") or None
        if organization is None:
            organization = os.environ.get("OPENAI_ORG_ID") or None
        if project is None:
            project = os.environ.get("OPENAI_PROJECT_ID") or None
        super().__init__(
            base_url=base_url or "https://api.openai.com/v1",
            max_retries=max_retries,
            timeout_ms=timeout_ms,
            default_query=default_query,
            default_headers=default_headers,
        )
        self.api_key = api_key
        self.organization = organization
        self.project = project

    def stringify_query(self, query: Mapping[str, Any]) -> str:
        """``qs.stringify(query, {arrayFormat: 'brackets'})``: RFC 3986 percent-encoding, which
        takes ``!*'()`` too."""
        return "&".join(
            f"{quote(str(k), safe='-._~')}={quote(js_string(v), safe='-._~')}" for k, v in query.items() if v is not None
        )

    def auth_headers(self) -> Mapping[str, str | None]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def prepare_headers(self, headers: Mapping[str, str | None] | None) -> Mapping[str, str | None] | None:
        """``prepareOptions``: the per-request headers as they go into ``buildHeaders``."""
        return headers

    def build_headers(
        self,
        retry_count: int,
        headers: Mapping[str, str | None] | None,
        timeout_ms: float | None,
        has_body: bool,
    ) -> dict[str, str]:
        """``buildHeaders``: the SDK's headers, auth, ``defaultHeaders``, content type, the request's."""
        sdk: dict[str, str | None] = {
            "Accept": "application/json",
            "User-Agent": f"{self.client_name}/JS {VERSION}",
            "X-Stainless-Retry-Count": str(retry_count),
        }
        if timeout_ms:
            sdk["X-Stainless-Timeout"] = str(math.trunc(timeout_ms / 1000))
        sdk.update(self._platform)
        sdk["OpenAI-Organization"] = self.organization
        sdk["OpenAI-Project"] = self.project
        layers = (
            sdk,
            self.auth_headers(),
            self.default_headers_option,
            {"Content-Type": "application/json"} if has_body else None,
            self.prepare_headers(headers),
        )
        for layer in layers:
            for name, value in (layer or {}).items():
                _check_byte_string(name)
                if value is not None:
                    _check_byte_string(value)
        return merge_headers(*layers)

    # client.chat.completions.create(body, options)
    async def chat_completions_create(
        self,
        body: dict[str, Any],
        *,
        path: str = "/chat/completions",
        headers: Mapping[str, str | None] | None = None,
        timeout_ms: float | None = None,
    ) -> Any:
        return await self.post(path, body, headers=headers, timeout_ms=timeout_ms)

    # client.responses.create(body, options)
    async def responses_create(
        self,
        body: dict[str, Any],
        *,
        headers: Mapping[str, str | None] | None = None,
        timeout_ms: float | None = None,
    ) -> Any:
        response = await self.post("/responses", body, headers=headers, timeout_ms=timeout_ms)
        # ('object' in rsp && rsp.object === 'response'): `in` throws on a primitive (a text body)
        if response is None or isinstance(response, (str, int, float)):
            raise JSTypeError(f"Cannot use 'in' operator to search for 'object' in {js_string(response)}")
        if isinstance(response, dict) and response.get("object") == "response":
            _add_output_text(response)
        return response

    async def post(
        self,
        path: str,
        body: dict[str, Any],
        *,
        headers: Mapping[str, str | None] | None = None,
        timeout_ms: float | None = None,
    ) -> Any:
        """``this._client.post(path, { body, ...options, stream: body.stream ?? false })``."""
        return await self.request(
            "POST",
            self.route(path, body),
            body=body,
            headers=headers,
            timeout_ms=timeout_ms,
            stream=bool(body.get("stream", False)),
        )

    def route(self, path: str, body: dict[str, Any]) -> str:
        return path


def _check_byte_string(text: str) -> None:
    """undici's ``Headers.append`` (webidl ByteString): a UTF-16 code unit above 255 throws,
    before any request is sent (so no retry)."""
    if text.isascii():
        return
    units = text.encode("utf-16-le")
    for index in range(0, len(units), 2):
        unit = units[index] | units[index + 1] << 8
        if unit > 255:
            raise JSTypeError(
                f"Cannot convert argument to a ByteString because the character at index {index // 2} "
                f"has a value of {unit} which is greater than 255."
            )


def _add_output_text(response: dict[str, Any]) -> None:
    """``addOutputText``: ``output_text`` joins the output_text parts of message outputs (as
    ``Array.prototype.join`` does: a missing or null text is ``""``), with V8's errors for a
    malformed response."""
    texts: list[str] = []
    for output in _js_iterable(response.get("output"), "rsp.output"):
        if _js_type(output) != "message":
            continue
        for content in _js_iterable(output.get("content"), "output.content"):
            if _js_type(content) == "output_text":
                text = content.get("text")
                texts.append("" if text is None else js_string(text))
    response["output_text"] = "".join(texts)


def _js_iterable(value: Any, expression: str) -> Any:
    """``for (const x of <expression>)`` on a JSON value: arrays and strings iterate."""
    if isinstance(value, (list, str)):
        return value
    raise JSTypeError(f"{expression} is not iterable")


def _js_type(value: Any) -> Any:
    """``value.type`` on a JSON value (V8's TypeError for null)."""
    if value is None:
        raise JSTypeError("Cannot read properties of null (reading 'type')")
    return js_get(value, "type")


class AzureOpenAI(OpenAI):
    """``new AzureOpenAI({ baseURL, apiKey, apiVersion, … })`` (src/azure.ts)."""

    client_name = "AzureOpenAI"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        api_version: str | None = None,
        endpoint: str | None = None,
        deployment: str | None = None,
        default_headers: Mapping[str, str | None] | None = None,
        default_query: Mapping[str, str] | None = None,
        timeout_ms: float | None = None,
        max_retries: int | None = None,
    ) -> None:
        if base_url is None:
            base_url = os.environ.get("OPENAI_BASE_URL") or None
        if api_key is None:
            api_key = os.environ.get("AZURE_OPENAI_API_KEY") or None
        if api_version is None:
            api_version = os.environ.get("OPENAI_API_VERSION") or None
        if not api_version:
            raise OpenAIError(
                "The OPENAI_API_VERSION environment variable is missing or empty; either provide it, or "
                "instantiate the AzureOpenAI client with an apiVersion option, like new AzureOpenAI({ apiVersion: 'My API Version' })."
            )
        if not api_key:
            raise OpenAIError(
                "Missing credentials. Please pass one of `apiKey` and `azureADTokenProvider`, or set the "
                "`AZURE_OPENAI_API_KEY` environment variable."
            )
        query = {**(default_query or {}), "api-version": api_version}
        if not base_url:
            if not endpoint:
                endpoint = os.environ.get("AZURE_OPENAI_ENDPOINT")
            if not endpoint:
                raise OpenAIError(
                    "Must provide one of the `baseURL` or `endpoint` arguments, or the "
                    "`AZURE_OPENAI_ENDPOINT` environment variable"
                )
            base_url = f"{endpoint}/openai"
        elif endpoint:
            raise OpenAIError("baseURL and endpoint are mutually exclusive")
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            default_headers=default_headers,
            default_query=query,
            timeout_ms=timeout_ms,
            max_retries=max_retries,
        )
        self.api_version = api_version
        self.deployment_name = deployment

    def auth_headers(self) -> Mapping[str, str | None]:
        return {}

    def prepare_headers(self, headers: Mapping[str, str | None] | None) -> Mapping[str, str | None] | None:
        merged = merge_headers(headers)
        if merged.get("authorization") or merged.get("api-key"):
            return merged
        merged["api-key"] = self.api_key
        return merged

    def route(self, path: str, body: dict[str, Any]) -> str:
        """``buildRequest``: ``/deployments/<model>`` in front, unless the base URL has it."""
        if path in DEPLOYMENTS_ENDPOINTS:
            # this.deploymentName || body.model || undefined: "" adds no segment
            model = next((value for value in (self.deployment_name, body.get("model")) if js_truthy(value)), None)
            if model is not None and "/deployments" not in self.base_url:
                return f"/deployments/{js_string(model)}{path}"
        return path
