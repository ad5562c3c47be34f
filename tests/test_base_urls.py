"""Base URLs as each SDK's ``new URL()`` builds them, through the handlers to a loopback server
that records the request line.

openai-node 5.12.2 and @anthropic-ai/sdk 0.37.0 ``buildURL`` (``new URL(baseURL + path)``, then
``url.search`` for a query; the Anthropic SDK's node-fetch 2.7 passes the href through Node's
legacy ``url.parse``, which escapes ``|^'{}`` as well), @google/genai 1.29.1 ``constructUrl``
(``new URL(parts.join('/'))``, then ``url.searchParams.set('alt', 'sse')`` for a stream), axios
1.12.0's http adapter for OpenRouter's model list, and azure.js's ``deploymentName ||
body.model``. Every expected request line and error was recorded from those SDKs under Node 20
on a loopback server, with the same base URLs (the port number aside).
"""

from __future__ import annotations

from typing import Any

import pytest
from loopback import Reply, Upstream, collect

from providers import build_api_handler
from providers.fetchers.openrouter import get_open_router_models

SYSTEM = "You are Roo."
USER = [{"role": "user", "content": "Hi"}]
BAD_THING = Reply.json({"error": {"message": "bad thing"}}, status=400)  # not retried by any SDK


def _openai(base_url: str, **settings: Any) -> Any:
    return build_api_handler(
        {"apiProvider": "openai", "openAiBaseUrl": base_url, "openAiApiKey": "sk-test", "openAiModelId": "gpt-4o", **settings}
    )


def _anthropic(base_url: str) -> Any:
    return build_api_handler(
        {"apiProvider": "anthropic", "apiKey": "sk-ant-test", "anthropicBaseUrl": base_url,
         "apiModelId": "claude-3-5-sonnet-20241022"}
    )


def _gemini(base_url: str) -> Any:
    return build_api_handler(
        {"apiProvider": "gemini", "geminiApiKey": "AIzaSyTEST", "googleGeminiBaseUrl": base_url,
         "apiModelId": "gemini-2.5-flash"}
    )


async def _request_line(upstream: Upstream, handler: Any) -> tuple[str, str]:
    """Run ``createMessage`` against one 400 answer: the path sent and the ``Host`` header."""
    upstream.reply(BAD_THING)
    with pytest.raises(Exception):
        await collect(handler.create_message(SYSTEM, USER))
    (seen,) = upstream.seen
    return seen.path, seen.headers["host"]


def _origin(upstream: Upstream) -> str:
    return upstream.base_url.split("://", 1)[1]  # 127.0.0.1:<port>


# --- openai-node buildURL ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "path"),
    [
        ("/v1 ", "/v1%20/chat/completions"),  # the space is inside once the path follows it
        ("/v 1/{x}/../ü", "/v%201/%C3%BC/chat/completions"),
        ("\\v1\\x", "/v1/x/chat/completions"),  # a backslash is a path separator for http
        ("/v1#frag", "/v1"),  # the path lands in the fragment, which fetch does not send
        ("/a/./b/%2e%2E/v1?x=1", "/a/v1?x=1/chat/completions"),  # and the path in the query
        ("/v1?q='x y'", "/v1?q=%27x%20y%27/chat/completions"),
    ],
)
async def test_openai_base_url_path(upstream: Upstream, suffix: str, path: str) -> None:
    assert await _request_line(upstream, _openai(upstream.base_url + suffix)) == (path, _origin(upstream))


async def test_openai_base_url_trimmed_of_spaces_and_tabs(upstream: Upstream) -> None:
    """Leading C0 controls and spaces go, tabs and newlines anywhere too."""
    line = await _request_line(upstream, _openai(" " + upstream.base_url + "/v1\t"))
    assert line == ("/v1/chat/completions", _origin(upstream))


async def test_openai_base_url_hex_ipv4_host(upstream: Upstream) -> None:
    """``0x7f.1`` is 127.0.0.1: the request goes there with that ``Host``."""
    port = _origin(upstream).rsplit(":", 1)[1]
    line = await _request_line(upstream, _openai(f"http://0x7f.1:{port}/v1"))
    assert line == ("/v1/chat/completions", f"127.0.0.1:{port}")


async def test_openai_base_url_idna_host(upstream: Upstream) -> None:
    """A non-ASCII host is sent as its Punycode (``new URL("http://BÜCHER.de:1/").host`` is
    ``xn--bcher-kva.de:1`` in Node 20; the loopback resolver sends every name here)."""
    port = _origin(upstream).rsplit(":", 1)[1]
    line = await _request_line(upstream, _openai(f"http://BÜCHER.de:{port}/v1"))
    assert line == ("/v1/chat/completions", f"xn--bcher-kva.de:{port}")


async def test_openai_base_url_port_out_of_range(upstream: Upstream) -> None:
    """``new URL`` throws ``TypeError: Invalid URL`` before any request; openai.ts wraps it."""
    with pytest.raises(Exception) as info:
        await collect(_openai(upstream.base_url + ":99999/v1").create_message(SYSTEM, USER))
    assert str(info.value) == "OpenAI completion error: Invalid URL"
    assert upstream.seen == []


async def test_azure_empty_model_adds_no_deployment(upstream: Upstream) -> None:
    """azure.js buildRequest: ``this.deploymentName || body.model`` is ``""``, so no
    ``/deployments/<model>`` goes in front of the path."""
    handler = _openai(upstream.base_url + "/openai", openAiUseAzure=True, openAiModelId="")
    path, _ = await _request_line(upstream, handler)
    assert path == "/openai/chat/completions?api-version=2024-08-01-preview"


async def test_openai_query_is_encoded_by_qs(upstream: Upstream) -> None:
    """openai-node's ``stringifyQuery`` is ``qs.stringify``: RFC 3986 encoding, ``!*'()`` too
    (the Anthropic SDK's ``encodeURIComponent`` leaves them)."""
    handler = _openai(upstream.base_url + "/openai", openAiUseAzure=True, azureApiVersion="2024-08-01-preview (x)!*'")
    path, _ = await _request_line(upstream, handler)
    assert path == "/openai/deployments/gpt-4o/chat/completions?api-version=2024-08-01-preview%20%28x%29%21%2A%27"


# --- @anthropic-ai/sdk buildURL and node-fetch ------------------------------------------------


async def test_anthropic_base_url_space_after_host_is_invalid(upstream: Upstream) -> None:
    """``new URL("http://host /v1/messages")``: a space in a host is ``TypeError: Invalid URL``,
    thrown before anything is sent."""
    with pytest.raises(Exception) as info:
        await collect(_anthropic(upstream.base_url + " ").create_message(SYSTEM, USER))
    assert (type(info.value).__name__, str(info.value), getattr(info.value, "code", None)) == (
        "JSTypeError", "Invalid URL", "ERR_INVALID_URL")
    assert upstream.seen == []


@pytest.mark.parametrize(
    ("suffix", "path"),
    [
        ("/a b|c^'/", "/a%20b%7Cc%5E%27/v1/messages"),  # url.parse escapes what WHATWG keeps
        ("/p?q={x}|y", "/p?q=%7Bx%7D%7Cy/v1/messages"),
        ("\\proxy\\..\\x", "/x/v1/messages"),
    ],
)
async def test_anthropic_base_url_path(upstream: Upstream, suffix: str, path: str) -> None:
    assert await _request_line(upstream, _anthropic(upstream.base_url + suffix)) == (path, _origin(upstream))


# --- @google/genai constructUrl ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "path"),
    [
        ("/base ü/", "/base%20%C3%BC/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"),
        ("/v1 /", "/v1%20/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"),
        ("/x/%2e%2E/v", "/v/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"),
        # searchParams.set re-serializes the query the path fell into, as a form
        ("/b?k=v w", "/b?k=v+w%2Fv1beta%2Fmodels%2Fgemini-2.5-flash%3AstreamGenerateContent%3Falt%3Dsse&alt=sse"),
        ("/v?alt=sse", "/v?alt=sse"),  # the first alt is "sse/v1beta/…": set() replaces it
    ],
)
async def test_gemini_base_url_stream(upstream: Upstream, suffix: str, path: str) -> None:
    assert await _request_line(upstream, _gemini(upstream.base_url + suffix)) == (path, _origin(upstream))


async def test_gemini_base_url_with_query_unary(upstream: Upstream) -> None:
    """generateContent sets no search parameter: the path stays inside the query."""
    upstream.reply(BAD_THING)
    with pytest.raises(Exception):
        await _gemini(upstream.base_url + "/b?k=v").complete_prompt("Hi")
    (seen,) = upstream.seen
    assert seen.path == "/b?k=v/v1beta/models/gemini-2.5-flash:generateContent"


# --- axios (OpenRouter's model list) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "path"), [("/api/v1 x", "/api/v1%20x/models"), ("/api/{v1}/../v2", "/api/v2/models")]
)
async def test_openrouter_model_list_url(upstream: Upstream, suffix: str, path: str) -> None:
    upstream.reply(BAD_THING)
    assert await get_open_router_models({"openRouterBaseUrl": upstream.base_url + suffix}) == {}
    (seen,) = upstream.seen
    assert (seen.method, seen.path) == ("GET", path)


# --- user name and password in a base URL ------------------------------------------------------


def _with_userinfo(upstream: Upstream, userinfo: str) -> str:
    return f"http://{userinfo}@{_origin(upstream)}"


async def test_openai_credentials_in_base_url_are_refused(upstream: Upstream) -> None:
    """undici's ``new Request(url)`` throws ``TypeError: Request cannot be constructed from a URL
    that includes credentials``; openai-node retries it as a connection failure and ends with
    ``Connection error.``; nothing is sent."""
    with pytest.raises(Exception) as info:
        await collect(_openai(_with_userinfo(upstream, "u:p") + "/v1").create_message(SYSTEM, USER))
    assert str(info.value) == "OpenAI completion error: Connection error."
    assert upstream.seen == []


async def test_gemini_credentials_in_base_url_are_refused(upstream: Upstream) -> None:
    """genai's apiCall wraps undici's TypeError: ``exception TypeError: … sending request``."""
    with pytest.raises(Exception) as info:
        await collect(_gemini(_with_userinfo(upstream, "u") + "/v1").create_message(SYSTEM, USER))
    assert str(info.value) == (
        "Gemini generate context stream error: exception TypeError: Request cannot be constructed from a URL"
        f" that includes credentials: http://u@{_origin(upstream)}/v1/v1beta/models/gemini-2.5-flash"
        ":streamGenerateContent?alt=sse sending request"
    )
    assert upstream.seen == []


@pytest.mark.parametrize(
    ("userinfo", "authorization"),
    [("u", "Basic dQ=="), ("%75:p%20q", "Basic dTpwIHE="), ("us%C3%A9r:p", "Basic dXPDqXI6cA==")],
)
async def test_anthropic_credentials_in_base_url_become_basic_auth(
    upstream: Upstream, userinfo: str, authorization: str
) -> None:
    """node-fetch's legacy ``url.parse`` percent-decodes the user info into ``auth``, which
    ``http.request`` sends as ``Basic`` (UTF-8); the request line has no user info."""
    assert await _request_line(upstream, _anthropic(_with_userinfo(upstream, userinfo))) == (
        "/v1/messages", _origin(upstream))
    (seen,) = upstream.seen
    assert seen.headers["authorization"] == authorization


async def test_openrouter_model_list_credentials_become_basic_auth(upstream: Upstream) -> None:
    """axios takes ``username:password`` as serialized (not decoded) for ``http.request``'s auth."""
    upstream.reply(BAD_THING)
    await get_open_router_models({"openRouterBaseUrl": _with_userinfo(upstream, "u:p%20q") + "/api"})
    (seen,) = upstream.seen
    assert (seen.path, seen.headers["authorization"]) == ("/api/models", "Basic dTpwJTIwcQ==")


async def test_refused_credentials_keep_the_password_out_of_the_error(upstream: Upstream) -> None:
    """The reference's text shows the whole URL; the port shows the password as ``***`` (a
    caller's secret never appears in an error text)."""
    with pytest.raises(Exception) as info:
        await _gemini(_with_userinfo(upstream, "u:s3cret") + "/v1").complete_prompt("Hi")
    assert f"credentials: http://u:***@{_origin(upstream)}/v1/v1beta/" in str(info.value)
    assert "s3cret" not in str(info.value)
    assert upstream.seen == []
