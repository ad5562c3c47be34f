"""The fixture server replays ``upstream`` as FORMAT.md says and records requests faithfully."""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any, AsyncIterator

import aiohttp
import pytest

from parity.runner import LoopbackResolver, error_transcript, normalise, substitute
from parity.server import NO_ENTRY_LEFT, FixtureServer
from parity.tls import TLSFiles
from providers.js.errors import JSError

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
async def serve(tls_files: TLSFiles) -> AsyncIterator[Any]:
    servers: list[FixtureServer] = []

    async def start(upstream: list[dict[str, Any]]) -> FixtureServer:
        server = await FixtureServer(upstream, tls_files.server_context()).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.close()


async def test_chunks_reach_the_client_as_written(serve: Any) -> None:
    server = await serve([{"status": 200, "headers": {"content-type": "text/event-stream"},
                           "body_chunks": ["one ", "two ", "three"], "delay_ms": 40}])
    received = []
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{server.base_url}/stream") as response:
            async for data, _ in response.content.iter_chunks():
                received.append(data)
    assert received == [b"one ", b"two ", b"three"]


async def test_binary_chunks_cut_inside_a_character(serve: Any) -> None:
    import base64

    raw = "é".encode()
    server = await serve([{"status": 200, "body_chunks_b64": [base64.b64encode(raw[:1]).decode(),
                                                              base64.b64encode(raw[1:]).decode()], "delay_ms": 40}])
    async with aiohttp.ClientSession() as session:
        async with session.get(server.base_url) as response:
            received = [data async for data, _ in response.content.iter_chunks()]
    assert received == [raw[:1], raw[1:]]


async def test_destroy_after_chunks_cuts_the_body(serve: Any) -> None:
    server = await serve([{"status": 200, "body_chunks": ["a", "b", "c"], "destroy_after_chunks": 2, "delay_ms": 20}])
    received = []
    async with aiohttp.ClientSession() as session:
        async with session.get(server.base_url) as response:
            with pytest.raises(aiohttp.ClientPayloadError):
                async for data, _ in response.content.iter_chunks():
                    received.append(data)
    assert b"".join(received) == b"ab"


async def test_match_times_and_418_when_nothing_is_left(serve: Any) -> None:
    server = await serve([
        {"status": 200, "match": {"method": "GET", "path_regex": "/models$"}, "times": 2, "body_chunks": ["list"]},
        {"status": 201, "match": {"method": "POST"}, "body_chunks": ["created"]},
    ])
    async with aiohttp.ClientSession() as session:
        results = []
        for method, path in [("POST", "/x"), ("GET", "/models"), ("GET", "/models"), ("GET", "/models"), ("POST", "/x")]:
            async with session.request(method, server.base_url + path) as response:
                results.append((response.status, await response.read()))
    assert results == [(201, b"created"), (200, b"list"), (200, b"list"), (418, NO_ENTRY_LEFT), (418, NO_ENTRY_LEFT)]
    assert [r["upstream_index"] for r in server.requests] == [1, 0, 0, None, None]
    assert server.unused_upstream() == []


async def test_requests_are_recorded_in_arrival_order(serve: Any) -> None:
    server = await serve([{"status": 200, "body_chunks": ["ok"]}, {"status": 200}])
    async with aiohttp.ClientSession(skip_auto_headers={"User-Agent", "Accept", "Accept-Encoding"}) as session:
        headers = [("X-B", "2"), ("x-a", "1"), ("X-B", "3")]
        async with session.post(server.base_url + "/v1/x?q=%20a", data=b'{"z":1,"a":2}', headers=headers) as r:
            await r.read()
        async with session.post(server.base_url + "/form", data=b"a=1&b=2") as r:
            await r.read()
    first, second = server.requests
    assert first["method"] == "POST" and first["url"] == "/v1/x?q=%20a" and first["original_url"] is None
    assert list(first["headers"])[:3] == ["host", "x-b", "x-a"]
    assert first["headers"]["x-b"] == "2, 3"
    assert json.dumps(first["body"]) == '{"z": 1, "a": 2}'  # key order kept
    assert first["http_version"] == "1.1" and first["t_ms"] == 0
    assert second["body"] == {"raw": "a=1&b=2"} and second["t_ms"] >= first["t_end_ms"] >= 0


async def test_entries_added_while_running_bodies_as_received_and_idle(serve: Any) -> None:
    server = await serve([])
    server.add({"status": 201, "match": {"url_regex": "/late$"}, "body_chunks": ["a"] * 100, "delay_ms": 20})
    raw = b'{\n  "pretty": true\n}'
    async with aiohttp.ClientSession() as session:
        async with session.post(server.base_url + "/late", data=raw) as response:
            assert response.status == 201
            await response.content.readexactly(1)
            busy = asyncio.ensure_future(server.idle())
            await asyncio.sleep(0.05)
            assert not busy.done()  # the reply is still being written
        await asyncio.wait_for(busy, 0.5)  # the client went away: the reply ended early
        async with session.post(server.base_url + "/late", data=b"x") as response:
            assert response.status == 418
    await server.idle()
    assert server.bodies == [raw, b"x"]
    assert server.requests[0]["body"] == {"pretty": True}
    assert server.upstream[0]["status"] == 201 and server.unused_upstream() == []


async def test_tls_listener_gives_the_original_url(serve: Any, tls_files: TLSFiles) -> None:
    server = await serve([{"status": 200, "match": {"url_regex": "^https://api\\.anthropic\\.com/v1/"}, "body_chunks": ["hi"]}])
    connector = aiohttp.TCPConnector(resolver=LoopbackResolver(server.tls_port), ssl=tls_files.client_context())
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get("https://api.anthropic.com/v1/messages?beta=true") as response:
            assert (response.status, await response.read()) == (200, b"hi")
    assert server.requests[0]["original_url"] == "https://api.anthropic.com/v1/messages?beta=true"
    assert server.requests[0]["url"] == "/v1/messages?beta=true"


async def test_the_test_ca_is_not_trusted_by_default(serve: Any) -> None:
    server = await serve([{"status": 200}])
    connector = aiohttp.TCPConnector(resolver=LoopbackResolver(server.tls_port), ssl=ssl.create_default_context())
    async with aiohttp.ClientSession(connector=connector) as session:
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await session.get("https://api.x.ai/v1/responses")


async def test_delays_are_honoured(serve: Any) -> None:
    server = await serve([{"status": 200, "headers_delay_ms": 60, "first_chunk_delay_ms": 60,
                           "body_chunks": ["a", "b"], "delay_ms": 60, "end_delay_ms": 60}])
    async with aiohttp.ClientSession() as session:
        async with session.get(server.base_url) as response:
            await response.read()
    request = server.requests[0]
    assert request["t_end_ms"] - request["t_ms"] >= 240


def test_base_url_substitution_round_trips() -> None:
    settings = {"openAiBaseUrl": "{{BASE_URL}}/v1", "nested": ["{{BASE_HOST}}"]}
    live = substitute(settings, "http://127.0.0.1:4321")
    assert live == {"openAiBaseUrl": "http://127.0.0.1:4321/v1", "nested": ["127.0.0.1:4321"]}
    assert normalise(live, "http://127.0.0.1:4321") == settings


def test_error_transcript_reads_the_js_shape() -> None:
    exc = JSError("boom", name="AbortError", status=None, code="ERR_X")
    assert error_transcript(exc, 3) == {
        "name": "Error", "message": "boom", "status": None, "after_chunks": 3,
        "props": {"code": "ERR_X"}, "error_name_property": "AbortError",
    }
    assert error_transcript(ValueError("plain"), 0)["name"] == "ValueError"


def _parity(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "parity", "--quiet", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


def _scenario(root: Path, provider: str, name: str, source: Path | None = None, text: str | None = None) -> None:
    directory = root / provider / name
    directory.mkdir(parents=True)
    if source is not None:
        for file in ("scenario.json", "golden.json"):
            (directory / file).write_text((source / file).read_text())
    else:
        (directory / "scenario.json").write_text(text or "")
        (directory / "golden.json").write_text("{}")


def test_cli_exit_codes(tmp_path: Path) -> None:
    gemini = REPO / "fixtures" / "scenarios" / "gemini" / "complete_prompt"
    _scenario(tmp_path / "ok", "gemini", "complete_prompt", source=gemini)
    ok = _parity("--scenarios-dir", str(tmp_path / "ok"), "--html", str(tmp_path / "ok.html"))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "1 scenarios: 1 match" in ok.stdout and (tmp_path / "ok.html").exists()

    _scenario(tmp_path / "unported", "nosuch", "case", text=json.dumps({"provider": "nosuch", "upstream": []}))
    unported = _parity("--scenarios-dir", str(tmp_path / "unported"), "--html", str(tmp_path / "u.html"))
    assert unported.returncode == 1 and "not ported" in unported.stdout

    _scenario(tmp_path / "broken", "gemini", "bad", text="{not json")
    broken = _parity("--scenarios-dir", str(tmp_path / "broken"), "--html", str(tmp_path / "b.html"))
    assert broken.returncode == 2 and "unreadable scenario" in broken.stdout

    gap = tmp_path / "KNOWN_GAPS"
    gap.write_text("gemini/complete_prompt  pretend gap\n")
    passes = _parity("--scenarios-dir", str(tmp_path / "ok"), "--known-gaps", str(gap), "--html", str(tmp_path / "g.html"))
    assert passes.returncode == 1 and "GAP PASSES" in passes.stdout
