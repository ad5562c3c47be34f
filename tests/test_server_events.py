"""``GET /v1/events``: the gateway's events over a real WebSocket (aiohttp's client), for
requests made by the ``openai`` SDK against a loopback upstream: what each key sees, the order
of a request's events, a deployment cooling down, the socket's auth and bad input, and a
shutdown with sockets open."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import openai
import pytest
from gateway_server import KEY, OTHER_KEY, gateway
from loopback import Reply, Upstream
from test_server_http import HI, TEXT, config, ok

from gateway.server import build_app
from gateway.server.app import RUNNER_OPTIONS


async def receive(socket: aiohttp.ClientWebSocketResponse, until: str, timeout: float = 5.0) -> list[dict[str, Any]]:
    """The socket's events up to and including the first of type ``until``."""
    events: list[dict[str, Any]] = []
    while not events or events[-1]["type"] != until:
        message = await socket.receive(timeout)
        assert message.type == aiohttp.WSMsgType.TEXT, message
        events.append(json.loads(message.data))
    return events


async def test_each_key_sees_its_own_requests_in_order(upstream: Upstream) -> None:
    upstream.reply(ok(), ok())
    async with gateway(config(upstream)) as origin, aiohttp.ClientSession() as http:
        team = await http.ws_connect(f"{origin}/v1/events", headers={"Authorization": f"Bearer {KEY}"})
        intern = await http.ws_connect(f"{origin}/v1/events", headers={"x-api-key": OTHER_KEY})
        async with openai.AsyncOpenAI(base_url=f"{origin}/v1", api_key=KEY, max_retries=0) as client:
            stream = await client.chat.completions.create(model="smart", messages=HI, stream=True)
            texts = [chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices]
            request_id = stream.response.headers["x-request-id"]
        async with openai.AsyncOpenAI(base_url=f"{origin}/v1", api_key=OTHER_KEY, max_retries=0) as client:
            completion = await client.chat.completions.create(model="cheap", messages=HI)
        assert completion.choices[0].message.content == TEXT

        seen = await receive(team, "analytics_update")
        identity = {"request_id": request_id, "key_id": "team", "deployment": "smart"}
        assert seen[0] == {"type": "response_start", "data": {**identity, "path": "/v1/chat/completions"}}
        chunks = [e["data"] for e in seen if e["type"] == "response_chunk"]
        assert chunks == [{**identity, "delta": text} for text in (" tok0", " tok1", " tok2")]
        assert "".join(texts) == TEXT
        complete = seen[-2]
        assert complete["type"] == "response_complete"
        latency = complete["data"].pop("latency_s")
        assert 0 < latency < 5
        assert complete["data"] == {**identity, "path": "/v1/chat/completions", "status": 200, "tokens": 24}
        assert seen[-1] == {"type": "analytics_update",
                            "data": {"key_id": "team", "deployments": {"smart": {"requests": 1, "errors": 0, "tokens": 24}}}}
        assert len(seen) == 1 + 3 + 2

        theirs = await receive(intern, "analytics_update")  # only the intern's request
        assert {e["data"]["key_id"] for e in theirs} == {"intern"}
        assert [e["type"] for e in theirs] == ["response_start", *["response_chunk"] * 3, "response_complete",
                                               "analytics_update"]
        with pytest.raises(asyncio.TimeoutError):  # and nothing of the intern's reached the team
            await team.receive(0.2)
        await team.close()
        await intern.close()


async def test_types_filter_and_a_deployment_cooling_down(upstream: Upstream) -> None:
    upstream.reply(Reply.json({"error": {"message": "slow down"}}, 429, {"retry-after": "30"}))
    async with gateway(config(upstream)) as origin, aiohttp.ClientSession() as http:
        socket = await http.ws_connect(f"{origin}/v1/events?types=provider_status_change,response_complete",
                                       headers={"Authorization": f"Bearer {KEY}"})
        async with openai.AsyncOpenAI(base_url=f"{origin}/v1", api_key=KEY, max_retries=0) as client:
            with pytest.raises(openai.RateLimitError):
                await client.chat.completions.create(model="main", messages=HI)
        complete, change = await receive(socket, "provider_status_change")
        assert (complete["type"], complete["data"]["status"], complete["data"]["tokens"]) == ("response_complete", 429, 0)
        assert change["data"]["deployment"] == "main" and change["data"]["available"] is False
        assert 25 < change["data"]["available_at"] - time.time() <= 31
        await socket.close()


async def test_open_gateway_sees_everything(upstream: Upstream) -> None:
    upstream.reply(ok())
    open_config = config(upstream)
    del open_config["keys"]
    async with gateway(open_config) as origin, aiohttp.ClientSession() as http:
        socket = await http.ws_connect(f"{origin}/v1/events?types=response_complete")
        body = {"deployment": "cheap", "systemPrompt": "", "messages": HI}
        async with http.post(f"{origin}/v1/handler/create-message", json=body) as r:
            assert (await r.read()).endswith(b"event: end\ndata: {}\n\n")
        (complete,) = await receive(socket, "response_complete")
        assert complete["data"]["key_id"] is None and complete["data"]["deployment"] == "cheap"
        assert complete["data"]["path"] == "/v1/handler/create-message" and complete["data"]["status"] == 200
        assert complete["data"]["tokens"] == 24  # the usage chunks summed, as on the other APIs
        await socket.close()


async def test_auth_and_bad_input(upstream: Upstream) -> None:
    async with gateway(config(upstream)) as origin, aiohttp.ClientSession() as http:
        url = f"{origin}/v1/events"
        with pytest.raises(aiohttp.WSServerHandshakeError) as missing:
            await http.ws_connect(url)
        assert missing.value.status == 401
        with pytest.raises(aiohttp.WSServerHandshakeError) as wrong:
            await http.ws_connect(url, headers={"Authorization": "Bearer gw-wrong-key"})
        assert wrong.value.status == 401
        with pytest.raises(aiohttp.WSServerHandshakeError) as unknown:
            await http.ws_connect(url + "?types=response_start,bogus", headers={"x-api-key": KEY})
        assert unknown.value.status == 400
        async with http.get(url + "?types=bogus", headers={"x-api-key": KEY}) as plain:
            assert plain.status == 400 and "bogus" in (await plain.json())["error"]["message"]
        async with http.get(url, headers={"x-api-key": KEY}) as plain:  # not an upgrade
            assert plain.status == 426 and (await plain.json())["error"]["code"] == "upgrade_required"
    assert upstream.seen == []


async def test_shutdown_closes_open_sockets(upstream: Upstream) -> None:
    """An open event socket does not hold the graceful shutdown: it is closed with 1001."""
    from aiohttp import web

    runner = web.AppRunner(build_app(config(upstream)), **RUNNER_OPTIONS, shutdown_timeout=30)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    origin = f"http://127.0.0.1:{runner.addresses[0][1]}"
    async with aiohttp.ClientSession() as http:
        socket = await http.ws_connect(f"{origin}/v1/events", headers={"x-api-key": KEY})
        started = time.monotonic()
        cleanup = asyncio.create_task(runner.cleanup())
        message = await socket.receive(5)  # (a client reads while the server shuts down)
        await cleanup
        assert time.monotonic() - started < 5  # not the 30 s of grace
        assert (message.type, message.data, message.extra) == (aiohttp.WSMsgType.CLOSE, 1001, "server shutdown")
        assert socket.close_code == aiohttp.WSCloseCode.GOING_AWAY

