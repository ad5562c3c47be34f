"""``getOpenAiModels`` (src/api/providers/openai.ts at cb83656) and the axios 1.12.0 GET under it.

The expected requests were read off axios (``lib/core/mergeConfig.js``, ``lib/core/Axios.js``,
``lib/core/AxiosHeaders.js``, ``lib/adapters/http.js``) and follow-redirects 1.15.11
(``index.js``: ``_processResponse``), and checked against axios 1.12.0 itself under Node 20 on a
raw socket: header names, values and order as written here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from loopback import Reply, Upstream

import providers
from providers.openai import get_openai_models

API_KEY = "sk-proj-SAMPLETESTKEY0000000000000000"
TRANSPORT_HEADERS = ("host", "connection")


def sent_headers(seen_headers: dict[str, str]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in seen_headers.items() if name not in TRANSPORT_HEADERS]


async def test_lists_each_model_id_once_in_order(upstream: Upstream) -> None:
    """``[...new Set(response.data?.data?.map((model) => model.id))]``: a model without an id
    gives ``undefined`` (``None``), kept once like any value."""
    upstream.reply(Reply.json({"object": "list", "data": [{"id": "gpt-a"}, {"id": "gpt-b"}, {"id": "gpt-a"}, {"object": "model"}]}))
    models = await get_openai_models(f"{upstream.base_url}/v1", API_KEY)
    assert models == ["gpt-a", "gpt-b", None]
    [request] = upstream.seen
    assert (request.method, request.path) == ("GET", "/v1/models")


async def test_sends_default_headers_then_the_key_then_axios_own(upstream: Upstream) -> None:
    """``{...DEFAULT_HEADERS, ...openAiHeaders}`` plus ``Authorization: Bearer <key>``, after
    axios's common ``Accept`` and before the adapter's ``Accept-Encoding`` (its ``User-Agent``
    gives way to Roo's)."""
    upstream.reply(Reply.json({"data": []}))
    assert await get_openai_models(f"{upstream.base_url}/v1", API_KEY) == []
    assert sent_headers(upstream.seen[0].headers) == [
        ("accept", "application/json, text/plain, */*"),
        ("http-referer", "https://github.com/RooVetGit/Roo-Cline"),
        ("x-title", "Roo Code"),
        ("user-agent", "RooCode/3.52.1"),
        ("authorization", f"Bearer {API_KEY}"),
        ("accept-encoding", "gzip, compress, deflate, br"),
    ]


@pytest.fixture
async def raw_server() -> AsyncIterator[tuple[str, list[list[tuple[str, str]]]]]:
    """A loopback aiohttp server that answers ``{"data": []}`` and keeps each request's raw
    header lines (names as spelled on the wire)."""
    received: list[list[tuple[str, str]]] = []

    async def models(request: web.Request) -> web.Response:
        received.append([(name.decode(), value.decode()) for name, value in request.raw_headers])
        return web.json_response({"data": []})

    app = web.Application()
    app.router.add_get("/v1/models", models)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/v1", received
    finally:
        await providers.aclose()
        await runner.cleanup()


async def test_custom_headers_keep_the_first_spelling_and_the_last_value(
    raw_server: tuple[str, list[list[tuple[str, str]]]],
) -> None:
    """AxiosHeaders matches names case-insensitively: a later spelling sets the value at the
    first one's place and keeps its name (``Accept`` from axios's defaults, Roo's ``User-Agent``,
    the caller's ``authorization`` then the key's ``Authorization``); an empty value is sent."""
    base_url, received = raw_server
    custom = {"user-agent": "mine", "accept": "text/x", "X-Custom": "1", "authorization": "Bearer other", "x-empty": ""}
    assert await get_openai_models(base_url, API_KEY, custom) == []
    assert [(name, value) for name, value in received[0] if name.lower() not in TRANSPORT_HEADERS] == [
        ("Accept", "text/x"),
        ("HTTP-Referer", "https://github.com/RooVetGit/Roo-Cline"),
        ("X-Title", "Roo Code"),
        ("User-Agent", "mine"),
        ("X-Custom", "1"),
        ("authorization", f"Bearer {API_KEY}"),
        ("x-empty", ""),
        ("Accept-Encoding", "gzip, compress, deflate, br"),
    ]


async def test_a_redirect_off_the_host_drops_the_key(upstream: Upstream) -> None:
    """follow-redirects: a redirect on the same host keeps every header; one to another host
    (not a subdomain) drops ``Authorization`` and ``Cookie``, and keeps the rest."""
    port = upstream.base_url.rsplit(":", 1)[1]
    upstream.reply(
        Reply(302, {"location": "/v2/models"}),
        Reply(302, {"location": f"http://models.example:{port}/v3/models"}),
        Reply.json({"data": [{"id": "m"}]}),
    )
    models = await get_openai_models(f"{upstream.base_url}/v1", API_KEY, {"Cookie": "session=1"})
    assert models == ["m"]
    first, same_host, other_host = upstream.seen
    assert [seen.path for seen in upstream.seen] == ["/v1/models", "/v2/models", "/v3/models"]
    assert sent_headers(same_host.headers) == sent_headers(first.headers)
    assert "authorization" in first.headers and "cookie" in first.headers
    assert sent_headers(other_host.headers) == [
        (name, value) for name, value in sent_headers(first.headers) if name not in ("authorization", "cookie")
    ]


async def test_the_base_url_is_trimmed(upstream: Upstream) -> None:
    """``baseUrl.trim()`` before ``URL.canParse`` and the request."""
    upstream.reply(Reply.json({"data": [{"id": "m"}]}))
    assert await get_openai_models(f" \t{upstream.base_url}/v1\n", API_KEY) == ["m"]
    assert upstream.seen[0].path == "/v1/models"


@pytest.mark.parametrize("base_url", [None, "", "not a url", "http://"])
async def test_no_request_without_a_parsable_base_url(upstream: Upstream, base_url: str | None) -> None:
    """``if (!baseUrl) return []`` and ``if (!URL.canParse(trimmedBaseUrl)) return []``."""
    assert await get_openai_models(base_url, API_KEY) == []
    assert upstream.seen == []


@pytest.mark.parametrize(
    "reply",
    [
        Reply.json({"error": "no"}, status=500),  # axios rejects
        Reply.json({"data": "gpt-a"}),  # `.map` is not a function
        Reply.json({"data": [{"id": "gpt-a"}, None]}),  # `model.id` of null
        Reply.json({"object": "list"}),  # no data: `undefined || []`
        Reply(200, {"content-type": "text/plain"}, [b"gpt-a"]),  # text, not JSON
    ],
)
async def test_any_failure_gives_an_empty_list(upstream: Upstream, reply: Reply) -> None:
    """The whole body is in ``try { … } catch { return [] }``."""
    upstream.reply(reply)
    result: list[Any] = await get_openai_models(f"{upstream.base_url}/v1", API_KEY)
    assert result == []
    assert len(upstream.seen) == 1
