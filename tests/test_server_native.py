"""The native endpoints (gateway.server.native_api) over real sockets.

Every visible parity scenario (all are createMessage or completePrompt calls) goes through
``POST /v1/handler/create-message`` or ``/complete-prompt`` with ``{"settings": <the scenario's
settings>}``, against the harness's own fixture server replaying the scenario
(``parity.runner.serve``); what reaches the HTTP client (the ``data:`` chunks, the ``event:
error`` object or the ``result``) is turned back into a transcript and judged by the harness's
own ``parity.compare.compare`` against the golden: chunks, result and error exactly as ``python
-m parity`` compares them. One gateway serves every scenario (the handler cache is per
settings; a scenario's fixture server has a port of its own, so its handler is its own). The
requests are ``python -m parity``'s business, not the HTTP client's: they are not judged here,
since the port's process-wide caches (access tokens, model lists), which the harness starts
empty in a process per scenario, live on across the scenarios of one gateway.
Then: the deployment route, a mid-stream failure, redaction, and the keys' permissions.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from gateway_server import gateway, key_table
from loopback import Reply, Upstream

from parity.compare import compare, format_mismatch
from parity.runner import load_scenario, normalise, serve, substitute
from parity.suite import DEFAULT_SCENARIOS, discover
from parity.tls import TLSFiles
from tools.bench import clients
from tools.bench.server import anthropic_events

SETTINGS_KEY = "native-settings-key-0001"
PLAIN_KEY = "native-plain-key-0002"
JUDGED = ("chunks", "result", "error")  # what reaches the HTTP client


def _config(deployment_settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "router": {"timeout_s": 10.0},
        "deployments": [{"name": "main", "settings": deployment_settings}],
        "keys": [key_table("hosts", SETTINGS_KEY, allow_settings=True), key_table("plain", PLAIN_KEY)],
    }


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared() -> AsyncIterator[tuple[str, aiohttp.ClientSession]]:
    """One gateway for every scenario (its deployment is only there because a config needs one)."""
    async with gateway(_config(clients.port_settings("openai", "http://127.0.0.1:9"))) as base:
        async with aiohttp.ClientSession() as session:
            yield base, session


def _scenarios() -> list[Any]:
    return [pytest.param(d, id=f"{d.parent.name}/{d.name}") for d in discover(DEFAULT_SCENARIOS)]


async def read_stream(response: aiohttp.ClientResponse) -> tuple[list[Any], dict[str, Any] | None, bool]:
    """The ``data:`` chunks, the ``event: error`` object, whether ``event: end`` came."""
    chunks: list[Any] = []
    error: dict[str, Any] | None = None
    ended = False
    body = (await response.read()).decode()
    assert body.endswith("\n\n")
    for event in body[:-2].split("\n\n"):
        lines = event.split("\n")
        if lines[0] == "event: end":
            ended = True
        elif lines[0] == "event: error":
            error = json.loads(lines[1].removeprefix("data: "))
        else:
            assert len(lines) == 1 and lines[0].startswith("data: "), event
            chunks.append(json.loads(lines[0][6:]))
    return chunks, error, ended


def as_transcript_error(error: dict[str, Any] | None, after_chunks: int) -> dict[str, Any] | None:
    """The native error object in the golden's ``error`` shape (FORMAT.md)."""
    if error is None:
        return None
    transcript: dict[str, Any] = {
        "name": error["constructor"], "message": error["message"], "status": error["status"],
        "after_chunks": after_chunks,
        "props": {k: error[k] for k in ("status", "error", "code") if error[k] is not None},
    }
    if error["name"] != error["constructor"]:
        transcript["error_name_property"] = error["name"]
    return transcript


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("directory", _scenarios())
async def test_scenario_through_the_native_endpoint(
    directory: Path, tls_files: TLSFiles, shared: tuple[str, aiohttp.ClientSession]
) -> None:
    base, session = shared
    scenario, golden = load_scenario(directory)
    assert golden is not None
    headers = {"Authorization": f"Bearer {SETTINGS_KEY}"}
    saved = dict(os.environ)
    async with serve(tls_files, scenario.get("upstream") or []) as server:
        try:
            for name, value in (scenario.get("env") or {}).items():
                os.environ[name] = substitute(str(value), server.base_url)
            settings = substitute(scenario.get("settings") or {}, server.base_url)
            call = substitute(scenario["call"], server.base_url)
            chunks: list[Any] = []
            result: Any = None
            if call["method"] == "completePrompt":
                async with session.post(f"{base}/v1/handler/complete-prompt", headers=headers,
                                        json={"settings": settings, "prompt": call.get("prompt")}) as response:
                    answer = await response.json()
                if response.status == 200:
                    result, error = answer["result"], None
                else:
                    error = as_transcript_error(answer, 0)
                    assert response.status == (answer["status"] if isinstance(answer["status"], int) else 502)
            else:
                body = {"settings": settings, "systemPrompt": call.get("systemPrompt"),
                        "messages": call.get("messages") or [], "metadata": call.get("metadata")}
                async with session.post(f"{base}/v1/handler/create-message", headers=headers, json=body) as response:
                    assert response.status == 200
                    chunks, native, ended = await read_stream(response)
                assert ended == (native is None)
                error = as_transcript_error(native, len(chunks))
        finally:
            os.environ.clear()
            os.environ.update(saved)
    transcript = {
        "requests": normalise(server.requests, server.base_url),
        "chunks": normalise(chunks, server.base_url),
        "result": result,
        "error": normalise(error, server.base_url),
    }
    mismatches = [m for m in compare(golden, transcript, scenario) if m.category in JUDGED]
    assert not mismatches, "\n".join(format_mismatch(m) for m in mismatches)


# -- a deployment of the gateway's configuration ------------------------------------------------

GATEWAY_OPENAI_KEY = "sk-gateway-own-key-0123456789"


def _deployment_settings(upstream: Upstream, wire: str) -> dict[str, Any]:
    settings = clients.port_settings(wire, upstream.base_url)
    if wire == "openai":
        settings["openAiApiKey"] = GATEWAY_OPENAI_KEY
    return settings


@pytest.fixture
async def deployed(upstream: Upstream, request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, aiohttp.ClientSession]]:
    """A gateway whose deployment ``main`` is the loopback upstream in the wire ``request.param``."""
    async with gateway(_config(_deployment_settings(upstream, request.param))) as base:
        async with aiohttp.ClientSession() as session:
            yield base, session


HEADERS = {"x-api-key": PLAIN_KEY}
CALL = {"systemPrompt": "You are terse.", "messages": [{"role": "user", "content": "Hi"}], "metadata": {"taskId": "t1"}}


@pytest.mark.parametrize("deployed", ["anthropic"], indirect=True)
async def test_deployment_streams_the_routers_chunks_and_ends(
    upstream: Upstream, deployed: tuple[str, aiohttp.ClientSession]
) -> None:
    base, session = deployed
    upstream.reply(Reply(200, {"content-type": "text/event-stream"}, list(anthropic_events(3))))
    async with session.post(f"{base}/v1/handler/create-message", headers=HEADERS,
                            json={"deployment": "main", **CALL}) as response:
        assert response.status == 200 and response.headers["content-type"].startswith("text/event-stream")
        chunks, error, ended = await read_stream(response)
    assert error is None and ended
    assert [c["text"] for c in chunks if c["type"] == "text"] == ["", " tok0", " tok1", " tok2"]
    assert chunks[0] == {"type": "usage", "inputTokens": 21, "outputTokens": 1}
    assert chunks[-1]["type"] == "usage" and "totalCost" in chunks[-1]


@pytest.mark.parametrize("deployed", ["anthropic"], indirect=True)
async def test_a_stream_cut_mid_way_ends_with_the_upstreams_error_and_no_end(
    upstream: Upstream, deployed: tuple[str, aiohttp.ClientSession]
) -> None:
    base, session = deployed
    events = anthropic_events(3)
    upstream.reply(Reply(200, {"content-type": "text/event-stream"}, [b"".join(events[:3]), events[3], events[4]],
                         delay_ms=50, cut_after=2))
    async with session.post(f"{base}/v1/handler/create-message", headers=HEADERS,
                            json={"deployment": "main", **CALL}) as response:
        chunks, error, ended = await read_stream(response)
    assert not ended
    assert [c["type"] for c in chunks] == ["usage", "text", "text", "text"]
    # the reference's error for a reset socket (golden anthropic/stream_socket_destroyed), not the
    # router's StreamInterrupted around it
    assert error == {"constructor": "Error", "name": "Error", "message": "Premature close",
                     "status": None, "error": None, "code": "ERR_STREAM_PREMATURE_CLOSE"}


@pytest.mark.parametrize("deployed", ["openai"], indirect=True)
async def test_the_gateways_own_provider_key_is_redacted_from_an_upstream_error(
    upstream: Upstream, deployed: tuple[str, aiohttp.ClientSession]
) -> None:
    base, session = deployed
    message = f"Incorrect API key provided: {GATEWAY_OPENAI_KEY}."
    body = {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}
    upstream.server.add(Reply.json(body, 401).entry(times=10))
    async with session.post(f"{base}/v1/handler/create-message", headers=HEADERS,
                            json={"deployment": "main", **CALL}) as response:
        raw = (await response.read()).decode()
    assert GATEWAY_OPENAI_KEY not in raw and "[redacted]" in raw
    async with session.post(f"{base}/v1/handler/complete-prompt", headers=HEADERS,
                            json={"deployment": "main", "prompt": "Hi"}) as response:
        answer = await response.json()
    # the reference's completePrompt wraps the SDK's error twice, without a status of its own: the
    # error object says none, the HTTP status is the upstream's (read through the wrapped cause)
    assert response.status == 401 and answer["status"] is None
    assert answer["message"] == "OpenAI completion error: OpenAI completion error: 401 Incorrect API key provided: [redacted]."
    assert GATEWAY_OPENAI_KEY not in json.dumps(answer)


@pytest.mark.parametrize("deployed", ["openai"], indirect=True)
async def test_complete_prompt_answers_the_result(upstream: Upstream, deployed: tuple[str, aiohttp.ClientSession]) -> None:
    base, session = deployed
    upstream.reply(Reply.json({"id": "c1", "object": "chat.completion", "created": 1, "model": "gpt-4o",
                               "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!"},
                                            "finish_reason": "stop"}]}))
    async with session.post(f"{base}/v1/handler/complete-prompt", headers=HEADERS,
                            json={"deployment": "main", "prompt": "Hi"}) as response:
        assert response.status == 200
        assert await response.json() == {"result": "Hello!"}


@pytest.mark.parametrize("deployed", ["anthropic"], indirect=True)
@pytest.mark.parametrize(("path", "body", "marker"), [
    ("/v1/handler/create-message", {"deployment": "main", **CALL}, b"tok0"),
    ("/v1/messages", {"model": "main", "max_tokens": 64, "stream": True, "messages": CALL["messages"]}, b"tok0"),
])
async def test_a_client_that_goes_away_closes_the_upstream_request(
    upstream: Upstream, deployed: tuple[str, aiohttp.ClientSession], caplog: pytest.LogCaptureFixture,
    path: str, body: dict[str, Any], marker: bytes,
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.access")
    base, session = deployed
    upstream.reply(Reply(200, {"content-type": "text/event-stream"}, list(anthropic_events(50)), delay_ms=100))
    response = await session.post(base + path, headers=HEADERS, json=body)
    assert marker in await response.content.readuntil(marker)
    response.close()  # the connection goes away mid-stream
    await asyncio.wait_for(upstream.idle(), 2.0)  # the upstream's reply ended: its client went away
    (seen,) = upstream.seen
    assert seen.t_end_ms is not None and seen.t_end_ms < 1500  # not the 5 s the whole reply takes
    for _ in range(100):  # the handler's end (the access log line) follows the cancellation
        lines = [r.getMessage() for r in caplog.records if r.name == "gateway.access"]
        if lines:
            break
        await asyncio.sleep(0.01)
    (line,) = lines
    assert f"POST {path} key=plain deployment=main status=499" in line


# -- keys and bad requests: answered before anything runs ---------------------------------------

SETTINGS = {"apiProvider": "openai", "openAiBaseUrl": "http://127.0.0.1:9/v1", "openAiModelId": "gpt-4o", "openAiApiKey": "sk-x"}


@pytest.mark.parametrize("deployed", ["openai"], indirect=True)
@pytest.mark.parametrize(("path", "headers", "body", "status", "kind"), [
    ("create-message", {}, {"deployment": "main", **CALL}, 401, "authentication_error"),
    ("complete-prompt", {"x-api-key": "wrong"}, {"deployment": "main", "prompt": "Hi"}, 401, "authentication_error"),
    ("create-message", HEADERS, {"settings": SETTINGS, **CALL}, 403, "permission_error"),
    ("complete-prompt", HEADERS, {"settings": SETTINGS, "prompt": "Hi"}, 403, "permission_error"),
    ("create-message", HEADERS, {"deployment": "nope", **CALL}, 404, "not_found_error"),
    ("create-message", HEADERS, {"deployment": "moa-main", **CALL}, 404, "not_found_error"),
    ("create-message", HEADERS, CALL, 400, "invalid_request_error"),
    ("create-message", HEADERS, {"deployment": "main", "settings": SETTINGS, **CALL}, 400, "invalid_request_error"),
    ("create-message", HEADERS, {"deployment": "main", "systemPrompt": "s"}, 400, "invalid_request_error"),
    ("create-message", HEADERS, {"deployment": "main", **CALL, "metadata": []}, 400, "invalid_request_error"),
    ("complete-prompt", HEADERS, {"deployment": "main", "prompt": 3}, 400, "invalid_request_error"),
    ("complete-prompt", HEADERS, [1, 2], 400, "invalid_request_error"),
    ("complete-prompt", {"Authorization": f"Bearer {SETTINGS_KEY}"}, {"settings": [], "prompt": "Hi"}, 400,
     "invalid_request_error"),
])
async def test_request_problems_in_the_native_error_shape(
    upstream: Upstream, deployed: tuple[str, aiohttp.ClientSession],
    path: str, headers: dict[str, str], body: Any, status: int, kind: str,
) -> None:
    base, session = deployed
    async with session.post(f"{base}/v1/handler/{path}", headers=headers, json=body) as response:
        answer = await response.json()
    assert response.status == status
    assert answer["constructor"] == "GatewayError" and answer["status"] == status
    assert answer["error"]["type"] == kind
    assert upstream.seen == []  # nothing went upstream


@pytest.mark.parametrize("deployed", ["openai"], indirect=True)
async def test_malformed_json_is_a_400(upstream: Upstream, deployed: tuple[str, aiohttp.ClientSession]) -> None:
    base, session = deployed
    async with session.post(f"{base}/v1/handler/create-message", headers=HEADERS, data=b'{"deployment": ') as response:
        answer = await response.json()
    assert response.status == 400 and answer["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize("deployed", ["openai"], indirect=True)
async def test_a_key_with_allow_settings_gets_the_settings_handler(
    upstream: Upstream, deployed: tuple[str, aiohttp.ClientSession]
) -> None:
    """The settings' own handler, no router: the caller's key goes upstream, the upstream's
    error comes back as the reference's exception."""
    base, session = deployed
    async with session.post(f"{base}/v1/handler/create-message", headers={"Authorization": f"Bearer {SETTINGS_KEY}"},
                            json={"settings": {"apiProvider": "openai", "openAiBaseUrl": f"{upstream.base_url}/v1",
                                               "openAiModelId": "gpt-4o", "openAiApiKey": "sk-own"}, **CALL}) as response:
        chunks, error, ended = await read_stream(response)
    assert error is not None and not ended and chunks == []
    assert error["status"] == 418  # the fixture server's "no upstream entry left"
    assert [seen.headers["authorization"] for seen in upstream.seen] == ["Bearer sk-own"]
