"""axios 1.12.0's proxies from the environment (``setProxy`` in ``lib/adapters/http.js`` with
proxy-from-env 1.1.0), for the OpenRouter model lists.

What a proxy receives was recorded from axios 1.12.0 on Node 20 against a loopback proxy: the
request line in absolute form (``GET https://openrouter.ai/api/v1/models HTTP/1.1``) over plain
HTTP to an ``http://`` proxy, https targets included (no ``CONNECT``); the headers in axios's
order, then ``Proxy-Authorization`` (Basic of the proxy URL's user info, still percent-encoded),
then ``host`` naming the target (the transport, aiohttp, writes ``host`` first: its place is not
compared). The proxy here is a real loopback server; requests that do not
use it reach the fixture server through the transport's resolver.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from loopback import Reply, Upstream

from providers.fetchers.openrouter import get_open_router_models
from providers.sdk import axios, transport

MODELS = b'{"data":[]}'


@dataclass
class Proxy:
    """A loopback HTTP proxy that answers every request itself and records its head."""

    replies: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    seen: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
            if not head:
                break
            line, *header_lines = head.decode("latin-1").split("\r\n")[:-2]
            self.seen.append((line, [tuple(h.split(": ", 1)) for h in header_lines]))  # type: ignore[misc]
            status, headers, body = self.replies.pop(0) if self.replies else (200, {"content-type": "application/json"}, MODELS)
            extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            writer.write(f"HTTP/1.1 {status} X\r\n{extra}content-length: {len(body)}\r\n\r\n".encode() + body)
            await writer.drain()
        writer.close()


def without_host(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [h for h in headers if h[0].lower() not in ("host", "connection")]


@pytest.fixture
async def proxy() -> AsyncIterator[Proxy]:
    recorder = Proxy()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await recorder.handle(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    recorder.port = server.sockets[0].getsockname()[1]
    yield recorder
    await transport.aclose()
    server.close()
    await server.wait_closed()


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "npm_config_https_proxy",
                 "npm_config_http_proxy", "npm_config_proxy", "npm_config_no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


async def test_https_target_through_an_http_proxy(
    upstream: Upstream, proxy: Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTPS_PROXY with user info: absolute form, no CONNECT, Proxy-Authorization, host last."""
    monkeypatch.setenv("HTTPS_PROXY", f"http://user%40x:p%3Ass@127.0.0.1:{proxy.port}")

    models = await get_open_router_models()

    assert models == {}
    (line, headers) = proxy.seen[0]
    assert line == "GET https://openrouter.ai/api/v1/models HTTP/1.1"
    assert without_host(headers) == [
        ("Accept", "application/json, text/plain, */*"),
        ("User-Agent", "axios/1.12.0"),
        ("Accept-Encoding", "gzip, compress, deflate, br"),
        ("Proxy-Authorization", "Basic dXNlciU0MHg6cCUzQXNz"),
    ]
    assert dict(headers)["host"] == "openrouter.ai"
    assert upstream.seen == []


async def test_redirect_through_the_proxy_drops_credentials_but_not_the_proxy(
    proxy: Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """follow-redirects drops Authorization and Proxy-Authorization on leaving the host;
    ``beforeRedirects.proxy`` puts the proxy (and its credentials) back for the next hop."""
    monkeypatch.setenv("HTTPS_PROXY", f"http://user%40x:p%3Ass@127.0.0.1:{proxy.port}")
    proxy.replies.append((302, {"location": "https://other.example.com/api/v1/models"}, b""))

    response = await axios.get("https://openrouter.ai:8443/api/v1/redirect",
                                {"Authorization": "Bearer sk-or-x", "X-Title": "Roo"})

    assert response.status == 200
    assert [line for line, _ in proxy.seen] == [
        "GET https://openrouter.ai:8443/api/v1/redirect HTTP/1.1",
        "GET https://other.example.com/api/v1/models HTTP/1.1",
    ]
    first, second = (headers for _, headers in proxy.seen)
    assert without_host(first) == [
        ("Accept", "application/json, text/plain, */*"), ("Authorization", "Bearer sk-or-x"), ("X-Title", "Roo"),
        ("User-Agent", "axios/1.12.0"), ("Accept-Encoding", "gzip, compress, deflate, br"),
        ("Proxy-Authorization", "Basic dXNlciU0MHg6cCUzQXNz"),
    ]
    assert without_host(second) == [
        ("Accept", "application/json, text/plain, */*"), ("X-Title", "Roo"), ("User-Agent", "axios/1.12.0"),
        ("Accept-Encoding", "gzip, compress, deflate, br"), ("Proxy-Authorization", "Basic dXNlciU0MHg6cCUzQXNz"),
    ]
    assert (dict(first)["host"], dict(second)["host"]) == ("openrouter.ai:8443", "other.example.com")


@pytest.mark.parametrize(
    ("environment", "proxied"),
    [
        # recorded: which of https://api.test/…, https://api.test:8443/…, http://plain.test/… reached the proxy
        ({"HTTPS_PROXY": "{proxy}", "NO_PROXY": "api.test"}, [False, False, False]),
        ({"HTTPS_PROXY": "{proxy}", "NO_PROXY": ".test"}, [False, False, False]),
        ({"HTTPS_PROXY": "{proxy}", "NO_PROXY": "*.test:443"}, [False, True, False]),
        ({"HTTPS_PROXY": "{proxy}", "no_proxy": "other.test", "NO_PROXY": "api.test"}, [True, True, False]),
        ({"HTTPS_PROXY": "{proxy}", "NO_PROXY": "API.TEST other"}, [False, False, False]),
        ({"HTTPS_PROXY": "{proxy}", "NO_PROXY": "*"}, [False, False, False]),
        ({"ALL_PROXY": "{proxy}"}, [True, True, True]),
        ({"HTTP_PROXY": "{proxy}"}, [False, False, True]),
        ({"npm_config_https_proxy": "{proxy}", "HTTPS_PROXY": "http://127.0.0.1:1"}, [True, True, False]),
    ],
)
def test_which_urls_use_the_proxy(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], proxied: list[bool]
) -> None:
    """proxy-from-env's rules: lower-case variables first, ``no_proxy`` hosts, suffixes and ports."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value.format(proxy="http://127.0.0.1:3128"))
    urls = ["https://api.test/v1/models", "https://api.test:8443/v1/models", "http://plain.test/v1/models"]
    assert [bool(axios.get_proxy_for_url(url)) for url in urls] == proxied


def test_proxy_without_a_scheme_takes_the_requests() -> None:
    assert axios.get_proxy_for_url("https://api.test/x") == ""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("https_proxy", "127.0.0.1:3128")
        assert axios.get_proxy_for_url("https://api.test/x") == "https://127.0.0.1:3128"


async def test_no_proxy_goes_direct(upstream: Upstream, proxy: Proxy, monkeypatch: pytest.MonkeyPatch) -> None:
    """A NO_PROXY match: the request goes straight to openrouter.ai (here: the fixture server)."""
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "localhost,openrouter.ai")
    upstream.route("openrouter.ai/api/v1/models", Reply.json({"data": []}))

    assert await get_open_router_models() == {}
    assert proxy.seen == []
    (seen,) = upstream.seen
    assert seen.url == "https://openrouter.ai/api/v1/models"
    assert "host" in seen.headers and "proxy-authorization" not in seen.headers


async def test_proxy_refusing_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """The error names the proxy the connection was refused by."""
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:1")
    with pytest.raises(axios.AxiosError) as caught:
        await axios.get("https://openrouter.ai/api/v1/models")
    await transport.aclose()
    assert (caught.value.message, caught.value.code) == ("connect ECONNREFUSED 127.0.0.1:1", "ECONNREFUSED")
