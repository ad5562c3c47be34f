"""1,000 concurrent streamed requests through the HTTP gateway (issue #20): 0 errors, 0 lost
chunks, peak RSS reported.

The gateway runs as users run it, ``python -m gateway serve`` in a process of its own
(``tools.bench.proxies.ProxyProcess``: a ``[[keys]]`` entry and one deployment on the openai
handler), in front of a loopback upstream on the OpenAI wire in the test's process. Each request
names its stream in the user message; the upstream answers stream ``k`` with ``DELTAS`` deltas
of its own text (`` s<k>.<i>``), a usage chunk and ``[DONE]``. All requests are sent at once
(no connection limit); every one must come back as exactly its own deltas, in order, with the
usage and ``data: [DONE]``, and the upstream must have been asked exactly once per stream. The
gateway's peak RSS (``VmHWM``) is printed, not asserted: this is not a timed test.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tools.bench.clients import OPENAI_MODEL
from tools.bench.proxies import ProxyProcess
from tools.bench.server import raise_open_files_limit

STREAMS = 1000
DELTAS = 10
PROMPT_TOKENS = 9
_STREAM = re.compile(r"stream=(\d+)")


def delta(k: int, i: int) -> str:
    return f" s{k}.{i}"


def upstream_events(k: int) -> Iterator[bytes]:
    """OpenAI's chat.completions SSE for stream ``k``: a role chunk, the deltas, the finish, the
    usage, ``[DONE]``."""
    head = f'{{"id":"chatcmpl-load{k}","object":"chat.completion.chunk","created":1767225600,"model":"gpt-4o","choices":'

    def event(data: str) -> bytes:
        return f"data: {data}\n\n".encode()

    yield event(head + '[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}')
    for i in range(DELTAS):
        content = json.dumps({"content": delta(k, i)})
        yield event(head + f'[{{"index":0,"delta":{content},"finish_reason":null}}]}}')
    yield event(head + '[{"index":0,"delta":{},"finish_reason":"stop"}]}')
    usage = {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": DELTAS, "total_tokens": PROMPT_TOKENS + DELTAS}
    yield event(head + f'[],"usage":{json.dumps(usage)}}}')
    yield event("[DONE]")


class Upstream:
    """The loopback OpenAI upstream: every stream asked for, counted."""

    def __init__(self) -> None:
        self.asked: dict[int, int] = {}
        self.runner: web.AppRunner | None = None
        self.origin = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        found = _STREAM.search(json.dumps(body["messages"]))
        if found is None:
            return web.json_response({"error": {"message": "no stream=<k> in the messages"}}, status=400)
        k = int(found.group(1))
        self.asked[k] = self.asked.get(k, 0) + 1
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8"})
        await response.prepare(request)
        for event in upstream_events(k):
            await response.write(event)
        await response.write_eof()
        return response

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, backlog=4096)
        await site.start()
        self.origin = f"http://127.0.0.1:{self.runner.addresses[0][1]}"

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


async def one_stream(session: aiohttp.ClientSession, gateway: ProxyProcess, k: int) -> dict[str, Any]:
    """Stream ``k`` through the gateway: its deltas, usage and whether ``[DONE]`` came."""
    body = {
        "model": OPENAI_MODEL,
        "messages": [{"role": "user", "content": f"Say hello. stream={k}"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    headers = {"Authorization": f"Bearer {gateway.key}"}
    texts: list[str] = []
    usage: Any = None
    done = False
    async with session.post(f"{gateway.origin}/v1/chat/completions", json=body, headers=headers) as response:
        if response.status != 200:
            raise AssertionError(f"stream {k}: HTTP {response.status} {await response.text()}")
        rest = b""
        async for data in response.content.iter_any():
            lines = (rest + data).split(b"\n")
            rest = lines.pop()
            for line in lines:
                if not line.startswith(b"data: "):
                    continue
                if line == b"data: [DONE]":
                    done = True
                    continue
                chunk = json.loads(line[6:])
                if chunk.get("error"):
                    raise AssertionError(f"stream {k}: error event {chunk['error']}")
                for choice in chunk["choices"]:
                    if choice["delta"].get("content"):
                        texts.append(choice["delta"]["content"])
                usage = chunk.get("usage") or usage
    return {"texts": texts, "usage": usage, "done": done}


async def test_1000_concurrent_streams_through_the_gateway(capsys: pytest.CaptureFixture[str]) -> None:
    raise_open_files_limit()  # 2 sockets per stream here, 2 in the gateway (which inherits it)
    upstream = Upstream()
    await upstream.start()
    gateway = ProxyProcess("gateway", upstream.origin)
    try:
        await gateway.start()
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            warm = await one_stream(session, gateway, STREAMS)  # the gateway's first request builds its pool
            assert warm["texts"] == [delta(STREAMS, i) for i in range(DELTAS)]
            idle_rss = gateway.rss_mb()
            outcomes = await asyncio.gather(
                *(one_stream(session, gateway, k) for k in range(STREAMS)), return_exceptions=True
            )
        peak_rss = gateway.peak_rss_mb()
    finally:
        gateway.close()
        await upstream.close()

    errors = [f"{type(o).__name__}: {o}" for o in outcomes if isinstance(o, BaseException)]
    streams = [o for o in outcomes if not isinstance(o, BaseException)]
    lost = sum(len({delta(k, i) for i in range(DELTAS)}.difference(s["texts"])) for k, s in enumerate(outcomes)
               if not isinstance(s, BaseException))  # fmt: skip
    with capsys.disabled():
        print(
            f"\n{STREAMS} concurrent streams × {DELTAS} deltas through python -m gateway serve: "
            f"{len(errors)} errors, {lost} chunks lost; gateway RSS {idle_rss:.1f} MB idle, "
            f"peak (VmHWM) {peak_rss:.1f} MB"
        )
    assert errors == []
    assert lost == 0
    for k, stream in enumerate(streams):
        assert stream["texts"] == [delta(k, i) for i in range(DELTAS)], k
        assert stream["done"], k
        assert stream["usage"]["completion_tokens"] == DELTAS and stream["usage"]["prompt_tokens"] == PROMPT_TOKENS
    assert upstream.asked == {k: 1 for k in range(STREAMS + 1)}
