"""@google/genai 1.29.1 as the reference runs it under Node 20 (``dist/node/index.mjs``).

The parts ``GeminiHandler`` reaches: ``GoogleGenAI`` (constructor and its environment variables),
``NodeAuth`` (``x-goog-api-key`` or google-auth-library 10.5.0 headers), ``ApiClient`` (URL,
headers, ``requestStream``/``request``, ``throwErrorIfNotOK``, ``processStreamResponse``),
``Models.generateContent``/``generateContentStream`` with the request converters
(``generateContentParametersToMldev``/``…ToVertex``) and the response converters
(``generateContentResponseFromMldev``/``…FromVertex``), and the ``GenerateContentResponse.text``
getter. The SDK does not retry. The fetch underneath is Node's (undici): its own request headers,
``fetch failed`` when no response comes (undici gives up after 10 s connecting and 300 s waiting
for the headers), ``terminated`` when the body is cut (or silent for 300 s).

Its stream decoder is its own, not the WHATWG SSE one in ``sse.py``: each network chunk is
``JSON.parse``d on its own to catch an error object, and events are cut from the decoded text by
``/^\\s*data: (.*)(?:\\n\\n|\\r\\r|\\r\\n\\r\\n)/`` (one ``data:`` line per event, nothing else).
"""

from __future__ import annotations

import codecs
import os
import platform
import re
import urllib.parse
from typing import Any, AsyncGenerator, AsyncIterator, Mapping

import aiohttp

from . import transport
from ..js import whatwg_url
from ..js.errors import JSError, JSTypeError
from .google_auth import CLOUD_PLATFORM_SCOPE, V10, GoogleAuth
from ..js.jsonjs import dumps, js_string, js_to_number, js_trim, loads
from ..js.node_net import RequestRefused, body_timeout_terminated, undici_request_url

__all__ = ["ApiError", "GoogleGenAI", "Models", "GenerateContentStream", "response_text"]

SDK_VERSION = "1.29.1"
LIBRARY_LABEL = f"google-genai-sdk/{SDK_VERSION}"
VERTEX_AI_API_DEFAULT_VERSION = "v1beta1"
GOOGLE_AI_API_DEFAULT_VERSION = "v1beta"
GOOGLE_API_KEY_HEADER = "x-goog-api-key"
REQUIRED_VERTEX_AI_SCOPE = CLOUD_PLATFORM_SCOPE

# undici's fetch adds these when the request has none of them.
FETCH_HEADERS = (
    ("accept", "*/*"),
    ("accept-language", "*"),
    ("sec-fetch-mode", "cors"),
    ("accept-encoding", "gzip, deflate"),
)
# JavaScript's \s: WhiteSpace and LineTerminator (what jsonjs.js_trim removes).
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# what JSON.parse skips around a value
_JSON_SPACE = " \t\n\r"
# responseLineRE; `.` stops at \n, \r, \u2028 and \u2029
_RESPONSE_LINE = re.compile(f"[{_JS_SPACE}]*data: ([^\\n\\r\\u2028\\u2029]*)(?:\\n\\n|\\r\\r|\\r\\n\\r\\n)")


class ApiError(JSError):
    """``ApiError``: ``name`` ``ApiError``, ``status`` the HTTP (or in-stream) code."""

    js_constructor = "ApiError"


# --- small pieces of JavaScript value semantics ---------------------------------------------------


def _header_value(value: str, prefix: str = "Headers.append") -> str:
    """undici's ``Headers.append`` checks: a ByteString, trimmed, without NUL/CR/LF."""
    units = value.encode("utf-16-le", "surrogatepass")
    for index in range(len(units) // 2):
        code = units[2 * index] | units[2 * index + 1] << 8
        if code > 255:
            raise JSTypeError(
                "Cannot convert argument to a ByteString because the character at "
                f"index {index} has a value of {code} which is greater than 255."
            )
    normalized = value.strip("\t\n\r ")
    if any(ch in normalized for ch in "\0\r\n"):
        raise JSTypeError(f'{prefix}: "{normalized}" is an invalid header value.')
    return normalized


def _get_env(name: str) -> str | None:
    """``getEnv``: the variable, trimmed, or undefined."""
    value = os.environ.get(name)
    return None if value is None else js_trim(value)


def _get_boolean_env(name: str) -> bool:
    value = _get_env(name)
    return value is not None and value.lower() == "true"


def _api_key_from_env() -> str | None:
    return _get_env("GOOGLE_API_KEY") or _get_env("GEMINI_API_KEY") or None


# --- auth -----------------------------------------------------------------------------------------


class _NodeAuth:
    """``NodeAuth``: an API key header, or google-auth-library 10.5.0 headers."""

    def __init__(self, api_key: str | None, google_auth_options: dict[str, Any] | None) -> None:
        self.api_key = api_key
        self.google_auth: GoogleAuth | None = None
        if api_key is None:
            options = _build_google_auth_options(google_auth_options)
            self.google_auth = GoogleAuth(
                scopes=options.get("scopes"),
                credentials=options.get("credentials"),
                key_file=options.get("keyFile"),
                version=V10,
            )

    async def add_auth_headers(self, headers: dict[str, str], url: str) -> None:
        """``addAuthHeaders(headers, url)``: appended after the SDK's own headers."""
        if self.api_key is not None:
            if self.api_key.startswith("auth_tokens/"):
                raise JSError("Ephemeral tokens are only supported by the live API.")
            if GOOGLE_API_KEY_HEADER not in headers:
                headers[GOOGLE_API_KEY_HEADER] = _header_value(self.api_key)
            return
        assert self.google_auth is not None
        auth_headers = await self.google_auth.get_request_headers(url)
        for key, value in auth_headers.items():
            if key.lower() not in headers:
                headers[key.lower()] = _header_value(value)


def _build_google_auth_options(options: dict[str, Any] | None) -> dict[str, Any]:
    """``buildGoogleAuthOptions``: the cloud-platform scope is required."""
    if not options:
        return {"scopes": [REQUIRED_VERTEX_AI_SCOPE]}
    scopes = options.get("scopes")
    if not scopes:
        return {**options, "scopes": [REQUIRED_VERTEX_AI_SCOPE]}
    if (isinstance(scopes, str) and scopes != REQUIRED_VERTEX_AI_SCOPE) or (
        isinstance(scopes, list) and REQUIRED_VERTEX_AI_SCOPE not in scopes
    ):
        raise JSError(f"Invalid auth scopes. Scopes must include: {REQUIRED_VERTEX_AI_SCOPE}")
    return options


# --- ApiClient ------------------------------------------------------------------------------------


def _with_alt_sse(url: whatwg_url.URLRecord) -> whatwg_url.URLRecord:
    """``url.searchParams.set('alt', 'sse')`` unless ``alt`` is already ``sse`` (setting it
    re-serializes the whole query as a form)."""
    alts = [value for name, value in url.search_params() if name == "alt"]
    if not alts or alts[0] != "sse":
        url.set_search_param("alt", "sse")
    return url


class _ApiClient:
    """``ApiClient``: the base URL and version, the default headers, the HTTP calls."""

    def __init__(
        self,
        *,
        auth: _NodeAuth,
        project: str | None,
        location: str | None,
        api_key: str | None,
        vertexai: bool,
        http_options: dict[str, Any] | None,
    ) -> None:
        self.auth = auth
        self.project = project
        self.location = location
        self.api_key = api_key
        self.vertexai = vertexai
        if vertexai:
            api_version = VERTEX_AI_API_DEFAULT_VERSION
            base_url = self._base_url_from_project_location()
            self._normalize_auth_parameters()
        else:
            api_version = GOOGLE_AI_API_DEFAULT_VERSION
            base_url = "https://generativelanguage.googleapis.com/"
        self.http_options: dict[str, Any] = {
            "apiVersion": api_version,
            "baseUrl": base_url,
            "headers": self.get_default_headers(),
        }
        if http_options:
            self.http_options = _patch_http_options(self.http_options, http_options)

    def _base_url_from_project_location(self) -> str:
        if self.project and self.location and self.location != "global":
            return f"https://{self.location}-aiplatform.googleapis.com/"
        return "https://aiplatform.googleapis.com/"

    def _normalize_auth_parameters(self) -> None:
        if self.project and self.location:
            self.api_key = None
            return
        self.project = None
        self.location = None

    @staticmethod
    def get_default_headers() -> dict[str, str]:
        """``getDefaultHeaders``: ``google-genai-sdk/1.29.1 gl-node/v20…`` (here ``gl-python/…``)."""
        label = f"{LIBRARY_LABEL} gl-python/{platform.python_version()}"
        return {"User-Agent": label, "x-goog-api-client": label, "Content-Type": "application/json"}

    def _should_prepend_vertex_project_path(self, path: str) -> bool:
        if self.api_key or not self.vertexai:
            return False
        return not path.startswith("projects/")

    def construct_url(self, path: str, http_options: Mapping[str, Any]) -> whatwg_url.URLRecord:
        """``constructUrl``: ``new URL`` of base (one trailing ``/`` dropped), version, project
        path and path joined by ``/``."""
        base_url = http_options.get("baseUrl")
        api_version = http_options.get("apiVersion")
        if base_url is None or api_version is None:
            raise JSError("HTTP options are not correctly set.")
        base_url = js_string(base_url)
        elements = [base_url[:-1] if base_url.endswith("/") else base_url]
        if api_version:
            elements.append(js_string(api_version))
        if self._should_prepend_vertex_project_path(path):
            elements.append(f"projects/{js_string(self.project)}/locations/{js_string(self.location)}")
        if path:
            elements.append(path)
        return whatwg_url.parse("/".join(elements))

    async def _headers(self, http_options: Mapping[str, Any], url: str) -> dict[str, str]:
        """``getHeadersInternal``, then what undici adds."""
        headers: dict[str, str] = {}
        for key, value in (http_options.get("headers") or {}).items():
            name = key.lower()
            value = _header_value(js_string(value))
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        await self.auth.add_auth_headers(headers, url)
        for name, value in FETCH_HEADERS:
            headers.setdefault(name, value)
        return headers

    def _patched(self, http_options: Mapping[str, Any] | None) -> dict[str, Any]:
        return _patch_http_options(self.http_options, http_options) if http_options else self.http_options

    async def request(self, path: str, body: str, http_options: Mapping[str, Any] | None) -> Any:
        """``request`` + ``unaryApiCall``: the parsed JSON of an ok response."""
        options = self._patched(http_options)
        url = self.construct_url(path, options).href
        headers = await self._headers(options, url)
        response = await _api_call(url, headers, body)
        try:
            await _throw_error_if_not_ok(response)
            return _parse_json_text(await _read_text(response))
        finally:
            response.release()

    async def request_stream(
        self, path: str, body: str, http_options: Mapping[str, Any] | None
    ) -> aiohttp.ClientResponse:
        """``requestStream`` + ``streamApiCall``: the ok response, its body not yet read."""
        options = self._patched(http_options)
        url = _with_alt_sse(self.construct_url(path, options)).href
        headers = await self._headers(options, url)
        response = await _api_call(url, headers, body)
        try:
            await _throw_error_if_not_ok(response)
        except BaseException:
            response.release()
            raise
        return response


def _patch_http_options(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """``patchHttpOptions``: objects merge one level deep, other defined values replace."""
    patched: dict[str, Any] = loads(dumps(base))
    for key, value in patch.items():
        if isinstance(value, dict) or value is None:
            patched[key] = {**(patched.get(key) or {}), **(value or {})}
        else:
            patched[key] = value
    return patched


async def _api_call(url: str, headers: dict[str, str], body: str) -> aiohttp.ClientResponse:
    """``apiCall``: ``fetch(url, init)``; no response is ``exception TypeError: fetch failed sending request``."""
    try:
        url = undici_request_url(url)
    except RequestRefused as exc:
        raise JSError(f"exception {exc.js_error.name}: {exc.js_error.message} sending request") from None
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise JSError("exception TypeError: fetch failed sending request")
    try:
        return await transport.request(
            "POST", url, headers=headers, body=body.encode(), timeouts=transport.undici_timeouts()
        )
    except (aiohttp.ClientError, OSError):
        raise JSError("exception TypeError: fetch failed sending request") from None


async def _read_body(response: aiohttp.ClientResponse) -> bytes:
    try:
        return await response.read()
    except aiohttp.SocketTimeoutError:
        raise body_timeout_terminated() from None
    except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, ConnectionError):
        raise JSTypeError("terminated") from None


async def _read_text(response: aiohttp.ClientResponse) -> str:
    """``response.text()``: UTF-8 with replacement, a leading BOM dropped."""
    text = (await _read_body(response)).decode("utf-8", "replace")
    return text[1:] if text.startswith("\ufeff") else text


def _parse_json_text(text: str) -> Any:
    """``response.json()``: ``JSON.parse`` of the text (V8's errors)."""
    return loads(text)


async def _throw_error_if_not_ok(response: aiohttp.ClientResponse) -> None:
    """``throwErrorIfNotOK``: the error's message is the JSON of the error body."""
    if 200 <= response.status < 300:
        return
    status = response.status
    content_type = response.headers.get("content-type")
    if content_type is not None and "application/json" in content_type:
        error_body = _parse_json_text(await _read_text(response))
    else:
        error_body = {"error": {"message": await _read_text(response), "code": status, "status": response.reason or ""}}
    message = dumps(error_body)
    if 400 <= status < 600:
        raise ApiError(message, name="ApiError", status=status)
    raise JSError(message)


# --- the stream -----------------------------------------------------------------------------------


def _raise_if_error_chunk(chunk_string: str) -> None:
    """The chunk-level check of ``processStreamResponse``: a JSON ``{"error": …}`` chunk throws."""
    if chunk_string.lstrip(_JSON_SPACE)[:1] != "{":
        return  # not an object: JSON.parse fails or gives something without an `error` key
    try:
        chunk_json = loads(chunk_string)
    except JSError:
        return
    if not isinstance(chunk_json, dict) or "error" not in chunk_json:
        return  # `'error' in x` is false for arrays and throws (ignored) for primitives
    error_json = chunk_json["error"]
    if error_json is None:
        return  # null['status'] throws a TypeError, which is ignored
    status = error_json.get("status") if isinstance(error_json, dict) else None
    code = error_json.get("code") if isinstance(error_json, dict) else None
    status_text = "undefined" if not isinstance(error_json, dict) or "status" not in error_json else js_string(status)
    number = js_to_number(code) if isinstance(error_json, dict) and "code" in error_json else float("nan")
    if 400 <= number < 600:
        raise ApiError(f"got status: {status_text}. {dumps(chunk_json)}", name="ApiError", status=code)


def _cut_event(buffer: str, start: int) -> tuple[str, int] | None:
    """``_RESPONSE_LINE.match(buffer, start)`` for an event that starts right at ``data: `` in a
    buffer free of ``\\u2028`` and ``\\u2029``, with ``find`` instead of a character class: its
    payload and end, or ``None`` when the regex must decide."""
    if not buffer.startswith("data: ", start):
        return None
    newline = buffer.find("\n", start)
    carriage_return = buffer.find("\r", start, len(buffer) if newline < 0 else newline)
    line_end = newline if carriage_return < 0 else carriage_return
    if line_end < 0:
        return None
    if buffer.startswith("\n\n", line_end) or buffer.startswith("\r\r", line_end):
        return buffer[start + 6 : line_end], line_end + 2
    if buffer.startswith("\r\n\r\n", line_end):
        return buffer[start + 6 : line_end], line_end + 4
    return None


async def _process_stream_response(response: aiohttp.ClientResponse) -> AsyncGenerator[list[str], None]:
    """``processStreamResponse``: the ``data:`` payloads, in order, in the batches each network
    read completes (one step per read, not per payload)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")("replace")
    buffer = ""
    content = response.content
    while True:
        try:
            value = await content.readany()
        except aiohttp.SocketTimeoutError:
            raise body_timeout_terminated() from None
        except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, ConnectionError):
            raise JSTypeError("terminated") from None
        if not value:
            if js_trim(buffer):
                raise JSError("Incomplete JSON segment at the end")
            return
        chunk_string = decoder.decode(value)
        _raise_if_error_chunk(chunk_string)
        buffer += chunk_string
        # the events are cut by position and the rest kept once: a read of many events costs
        # time linear in its length
        payloads: list[str] = []
        start = 0
        # "\u2028" and "\u2029" end a line too: without them a line ends at its first "\r" or "\n"
        plain = "\u2028" not in buffer and "\u2029" not in buffer
        while True:
            cut = _cut_event(buffer, start) if plain else None
            if cut is None:
                match = _RESPONSE_LINE.match(buffer, start)
                if not match:
                    break
                cut = match.group(1), match.end()
            payloads.append(cut[0])
            start = cut[1]
        if start:
            buffer = buffer[start:]
            yield payloads


class GenerateContentStream:
    """What ``await models.generateContentStream(params)`` resolves to: responses as they arrive.

    An async iterator of converted ``GenerateContentResponse`` dicts; ``aclose()`` releases the
    connection at once.
    """

    def __init__(self, response: aiohttp.ClientResponse, vertexai: bool) -> None:
        self._response = response
        self._convert = _generate_content_response_from_vertex if vertexai else _generate_content_response_from_mldev
        self._events = _process_stream_response(response)
        self._responses = self._iterate()

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._responses  # `async for` steps the generator itself (no coroutine per response)

    async def __anext__(self) -> dict[str, Any]:
        return await self._responses.__anext__()

    async def _iterate(self) -> AsyncGenerator[dict[str, Any], None]:
        try:
            async for payloads in self._events:
                for data in payloads:
                    # chunk.json(): the payload re-read as a body, a leading BOM dropped
                    yield self._convert(_parse_json_text(data[1:] if data.startswith("\ufeff") else data))
        finally:
            await self._events.aclose()
            self._response.release()

    async def aclose(self) -> None:
        await self._responses.aclose()
        await self._events.aclose()
        self._response.release()


# --- request and response converters --------------------------------------------------------------


def _t_model(vertexai: bool, model: Any) -> str:
    """``tModel``."""
    if not model or not isinstance(model, str):
        raise JSError("model is required and must be a string")
    if ".." in model or "?" in model or "&" in model:
        raise JSError("invalid model parameter")
    if vertexai:
        if model.startswith(("publishers/", "projects/", "models/")):
            return model
        if "/" in model:
            publisher, name = model.split("/")[:2]
            return f"publishers/{publisher}/models/{name}"
        return f"publishers/google/models/{model}"
    if model.startswith(("models/", "tunedModels/")):
        return model
    return f"models/{model}"


def _t_contents(contents: Any) -> list[Any]:
    """``tContents`` for the Content lists the handler builds."""
    if contents is None or (isinstance(contents, list) and not contents):
        raise JSError("contents are required")
    return contents if isinstance(contents, list) else [_t_content(contents)]


def _t_content(origin: Any) -> Any:
    """``tContent``: a string becomes ``{role: 'user', parts: [{text}]}``."""
    if origin is None:
        raise JSError("ContentUnion is required")
    if isinstance(origin, dict) and isinstance(origin.get("parts"), list):
        return origin
    return {"role": "user", "parts": [{"text": origin} if isinstance(origin, str) else origin]}


def _blob_to_mldev(blob: Any, first_key: str) -> dict[str, Any]:
    """``blobToMldev`` / ``fileDataToMldev``: ``displayName`` is refused by the Gemini API."""
    out: dict[str, Any] = {}
    if _not_null(blob, first_key):
        out[first_key] = blob[first_key]
    if isinstance(blob, dict) and "displayName" in blob:
        raise JSError("displayName parameter is not supported in Gemini API.")
    if _not_null(blob, "mimeType"):
        out["mimeType"] = blob["mimeType"]
    return out


def _not_null(obj: Any, key: str) -> bool:
    return isinstance(obj, dict) and obj.get(key) is not None


_PART_KEYS_MLDEV = (
    "functionCall", "codeExecutionResult", "executableCode", "fileData", "functionResponse",
    "inlineData", "text", "thought", "thoughtSignature", "videoMetadata",
)


def _part_to_mldev(part: Any) -> dict[str, Any]:
    """``partToMldev``: known keys, in the SDK's order, nulls dropped."""
    out: dict[str, Any] = {}
    for key in _PART_KEYS_MLDEV:
        if not _not_null(part, key):
            continue
        if key == "fileData":
            out[key] = _blob_to_mldev(part[key], "fileUri")
        elif key == "inlineData":
            out[key] = _blob_to_mldev(part[key], "data")
        else:
            out[key] = part[key]
    return out


def _content_to_mldev(content: Any) -> dict[str, Any]:
    """``contentToMldev``: ``parts`` then ``role``."""
    out: dict[str, Any] = {}
    if _not_null(content, "parts"):
        parts = content["parts"]
        out["parts"] = [_part_to_mldev(p) for p in parts] if isinstance(parts, list) else parts
    if _not_null(content, "role"):
        out["role"] = content["role"]
    return out


_FUNCTION_DECLARATION_KEYS_VERTEX = (
    "description", "name", "parameters", "parametersJsonSchema", "response", "responseJsonSchema",
)


def _function_declaration_to_vertex(declaration: Any) -> dict[str, Any]:
    """``functionDeclarationToVertex``: ``description`` first; ``behavior`` refused."""
    if isinstance(declaration, dict) and "behavior" in declaration:
        raise JSError("behavior parameter is not supported in Vertex AI.")
    return {k: declaration[k] for k in _FUNCTION_DECLARATION_KEYS_VERTEX if _not_null(declaration, k)}


def _tool_to_api(tool: Any, vertexai: bool) -> dict[str, Any]:
    """``toolToMldev`` / ``toolToVertex`` for the function-declaration tools the handler sends."""
    out: dict[str, Any] = {}
    if _not_null(tool, "functionDeclarations"):
        declarations = tool["functionDeclarations"]
        if isinstance(declarations, list) and vertexai:
            declarations = [_function_declaration_to_vertex(d) for d in declarations]
        out["functionDeclarations"] = declarations
    return out


# generateContentConfigTo{Mldev,Vertex}: the GenerateContentConfig fields GeminiHandler sets,
# in the SDK's order (those that go to the request body itself are marked "body").
_CONFIG_FIELDS = (
    ("systemInstruction", "body"),
    ("temperature", "generationConfig"),
    ("maxOutputTokens", "generationConfig"),
    ("tools", "body"),
    ("toolConfig", "body"),
    ("thinkingConfig", "generationConfig"),
)


def _generate_content_parameters_to_api(params: Mapping[str, Any], vertexai: bool) -> tuple[str, dict[str, Any]]:
    """``generateContentParametersTo{Mldev,Vertex}``: the model path and the request body."""
    model = _t_model(vertexai, params.get("model"))
    body: dict[str, Any] = {}
    if params.get("contents") is not None:
        contents = _t_contents(params["contents"])
        body["contents"] = contents if vertexai else [_content_to_mldev(c) for c in contents]
    config = params.get("config")
    if config is not None:
        generation_config: dict[str, Any] = {}
        for key, target in _CONFIG_FIELDS:
            value = config.get(key)
            if value is None:
                continue
            if key == "systemInstruction":
                content = _t_content(value)
                body[key] = content if vertexai else _content_to_mldev(content)
            elif key == "tools":
                if not isinstance(value, list):
                    raise JSError("tools is required and must be an array of Tools")
                body[key] = [_tool_to_api(tool, vertexai) for tool in value]
            elif target == "body":
                body[key] = value
            else:
                generation_config[key] = value
        body["generationConfig"] = generation_config
    return model, body


_CANDIDATE_KEYS_MLDEV = (
    "content", "citationMetadata", "tokenCount", "finishReason", "avgLogprobs", "groundingMetadata",
    "index", "logprobsResult", "safetyRatings", "urlContextMetadata",
)


def _candidate_from_mldev(candidate: Any) -> dict[str, Any]:
    """``candidateFromMldev``: known keys; ``citationSources`` become ``citations``."""
    out: dict[str, Any] = {}
    if not isinstance(candidate, dict):
        return out
    for key in _CANDIDATE_KEYS_MLDEV:
        value = candidate.get(key)
        if value is None:
            continue
        if key == "citationMetadata":
            citations = value.get("citationSources") if isinstance(value, dict) else None
            value = {} if citations is None else {"citations": citations}
        out[key] = value
    return out


def _generate_content_response_from_mldev(response: Any) -> dict[str, Any]:
    """``generateContentResponseFromMldev``."""
    out: dict[str, Any] = {}
    if not isinstance(response, dict):
        return out
    candidates = response.get("candidates")
    if candidates is not None:
        out["candidates"] = list(map(_candidate_from_mldev, candidates)) if isinstance(candidates, list) else candidates
    for key in ("modelVersion", "promptFeedback", "responseId", "usageMetadata"):
        value = response.get(key)
        if value is not None:
            out[key] = value
    return out


def _generate_content_response_from_vertex(response: Any) -> dict[str, Any]:
    """``generateContentResponseFromVertex``: candidates as they came."""
    keys = ("candidates", "createTime", "modelVersion", "promptFeedback", "responseId", "usageMetadata")
    return {k: response[k] for k in keys if _not_null(response, k)}


def response_text(response: Mapping[str, Any]) -> str | None:
    """``GenerateContentResponse.text``: the first candidate's non-thought text parts joined."""
    candidates = response.get("candidates")
    first = candidates[0] if isinstance(candidates, list) and candidates else None
    content = first.get("content") if isinstance(first, dict) else None
    parts = content.get("parts") if isinstance(content, dict) else None
    if isinstance(parts, list) and not parts:
        return None
    text = ""
    any_text_part = False
    for part in parts if isinstance(parts, list) else []:
        if part is None:
            raise JSTypeError("Cannot convert undefined or null to object")
        if not isinstance(part, dict) or not isinstance(part.get("text"), str):
            continue
        if part.get("thought") is True:
            continue
        any_text_part = True
        text += part["text"]
    return text if any_text_part else None


# --- the client -----------------------------------------------------------------------------------


class Models:
    """``Models``: ``generateContent`` and ``generateContentStream``."""

    def __init__(self, api_client: _ApiClient) -> None:
        self._api_client = api_client

    async def generate_content(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``generateContent`` (no automatic function calling: the handler passes no callable tools)."""
        client = self._api_client
        model, body = _generate_content_parameters_to_api(params, client.vertexai)
        http_options = (params.get("config") or {}).get("httpOptions")
        data = await client.request(f"{model}:generateContent", dumps(body), http_options)
        if client.vertexai:
            return _generate_content_response_from_vertex(data)
        return _generate_content_response_from_mldev(data)

    async def generate_content_stream(self, params: Mapping[str, Any]) -> GenerateContentStream:
        """``generateContentStream``: the request is sent (and its status checked) here."""
        client = self._api_client
        model, body = _generate_content_parameters_to_api(params, client.vertexai)
        http_options = (params.get("config") or {}).get("httpOptions")
        response = await client.request_stream(f"{model}:streamGenerateContent?alt=sse", dumps(body), http_options)
        return GenerateContentStream(response, client.vertexai)


class GoogleGenAI:
    """``new GoogleGenAI(options)`` (Node build): environment variables read as the SDK reads them.

    Options use the SDK's names: ``apiKey``, ``vertexai``, ``project``, ``location``,
    ``googleAuthOptions`` (``credentials`` / ``keyFile`` / ``scopes``), ``httpOptions``.
    """

    def __init__(self, options: Mapping[str, Any]) -> None:
        opt_api_key = options.get("apiKey")
        opt_project = options.get("project")
        opt_location = options.get("location")
        opt_vertexai = options.get("vertexai")
        google_auth_options = options.get("googleAuthOptions")
        if (opt_project or opt_location) and opt_api_key:
            raise JSError("Project/location and API key are mutually exclusive in the client initializer.")
        self.vertexai = bool(opt_vertexai if opt_vertexai is not None else _get_boolean_env("GOOGLE_GENAI_USE_VERTEXAI"))
        env_api_key = _api_key_from_env()
        env_project = _get_env("GOOGLE_CLOUD_PROJECT")
        env_location = _get_env("GOOGLE_CLOUD_LOCATION")
        self.api_key = opt_api_key if opt_api_key is not None else env_api_key
        self.project = opt_project if opt_project is not None else env_project
        self.location = opt_location if opt_location is not None else env_location
        if opt_vertexai:
            if google_auth_options and google_auth_options.get("credentials"):
                self.api_key = None
            if (env_project or env_location) and opt_api_key:
                self.project = None
                self.location = None
            elif (opt_project or opt_location) and env_api_key:
                self.api_key = None
            elif (env_project or env_location) and env_api_key:
                self.api_key = None
            if not self.location and not self.api_key:
                self.location = "global"
        http_options = dict(options.get("httpOptions") or {})
        if not http_options.get("baseUrl"):
            env_base = _get_env("GOOGLE_VERTEX_BASE_URL") if opt_vertexai else _get_env("GOOGLE_GEMINI_BASE_URL")
            if env_base:
                http_options["baseUrl"] = env_base
        auth = _NodeAuth(self.api_key, google_auth_options)
        self.api_client = _ApiClient(
            auth=auth,
            project=self.project,
            location=self.location,
            api_key=self.api_key,
            vertexai=self.vertexai,
            http_options=http_options or None,
        )
        self.models = Models(self.api_client)
