"""A loopback upstream with a request quota, for the rate-limiter tests (no tests of its own).

Each provider's model requests are answered with a recorded reply of a scenario (its wire
format: SSE, AWS event-stream frames, Google token endpoint), but only ``quota_per_s`` of them
per second per API route: the bucket holds ``quota_per_s / 20`` requests (50 ms worth) and
refills continuously. Above it the answer is a 429 with ``retry-after`` (fractional seconds until
the next free slot) and, optionally, OpenAI's or Anthropic's rate-limit headers on every reply.
Token and model-list requests are free.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from parity.runner import LoopbackResolver, substitute
from parity.tls import TLSFiles

SCENARIOS = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios"

# One streaming scenario per provider: its settings, call, model reply and expected chunks.
STREAM_SCENARIOS = {
    "openai": "openai/text_stream_usage",
    "anthropic": "anthropic/text_stream_usage_cost",
    "anthropic-vertex": "anthropic-vertex/text_stream_sa_token",
    "gemini": "gemini/text_stream_usage_cost",
    "vertex": "vertex/text_stream_sa_token",
    "bedrock": "bedrock/text_stream_usage",
    "openrouter": "openrouter/text_stream_cost",
    "xai": "xai/text_stream_usage",
}
RECORDED_LIMIT_HEADERS = ("x-ratelimit-", "anthropic-ratelimit-", "retry-after")


@dataclass
class Case:
    """A provider's scenario, ready to drive: settings (with the server's origin) and replies."""

    provider: str
    settings: dict[str, Any]
    call: dict[str, Any]
    expected_chunks: list[Any]
    model_path: str  # path+query of the model request
    model_reply: dict[str, Any]
    free_replies: list[dict[str, Any]]  # token endpoint, model lists


def load_case(provider: str, base_url: str) -> Case:
    directory = SCENARIOS / STREAM_SCENARIOS[provider]
    scenario = json.loads((directory / "scenario.json").read_text())
    golden = json.loads((directory / "golden.json").read_text())
    model_request = golden["requests"][-1]
    model_index = model_request["upstream_index"]
    upstream = scenario["upstream"]
    return Case(
        provider,
        substitute(scenario["settings"], base_url),
        scenario["call"],
        golden["chunks"],
        model_request["url"],
        upstream[model_index],
        [entry for i, entry in enumerate(upstream) if i != model_index],
    )


@dataclass
class _Bucket:
    rate: float
    capacity: float
    level: float
    updated: float = field(default_factory=time.monotonic)

    def take(self) -> float:
        """0 when a request may pass now, else the seconds until one may."""
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = now
        if self.level >= 1.0:
            self.level -= 1.0
            return 0.0
        return (1.0 - self.level) / self.rate


@dataclass
class QuotaServer:
    cases: list[Case]
    quota_per_s: float
    tls: TLSFiles
    limit_headers: str | None = None  # None, "openai" or "anthropic"
    served: dict[str, int] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    port: int = 0
    tls_port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add(self, provider: str) -> Case:
        case = load_case(provider, self.base_url)
        self.cases.append(case)
        return case

    def resolver(self) -> LoopbackResolver:
        return LoopbackResolver(self.tls_port)

    async def start(self) -> QuotaServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        plain = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await plain.start()
        secure = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.tls.server_context())
        await secure.start()
        self.port = plain._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.tls_port = secure._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        path = request.raw_path
        for case in self.cases:
            if path == case.model_path:
                return await self._model(request, case)
        for case in self.cases:
            for entry in case.free_replies:
                if _fits(entry, request):
                    return await _reply(request, entry, {})
        return web.json_response({"error": {"message": f"quota server: nothing for {path}"}}, status=418)

    async def _model(self, request: web.Request, case: Case) -> web.StreamResponse:
        bucket = self._buckets.get(case.provider)
        if bucket is None:
            capacity = max(1.0, self.quota_per_s / 20)
            bucket = self._buckets[case.provider] = _Bucket(self.quota_per_s, capacity, capacity)
        wait = bucket.take()
        headers = self._limit_headers(bucket)
        if wait > 0:
            self.refused[case.provider] = self.refused.get(case.provider, 0) + 1
            headers["retry-after"] = f"{wait:.3f}"
            body = {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}
            return web.json_response(body, status=429, headers=headers)
        self.served[case.provider] = self.served.get(case.provider, 0) + 1
        return await _reply(request, case.model_reply, headers)

    def _limit_headers(self, bucket: _Bucket) -> dict[str, str]:
        if self.limit_headers is None:
            return {}
        remaining = int(bucket.level)
        reset_s = (bucket.capacity - bucket.level) / bucket.rate
        if self.limit_headers == "openai":
            return {
                "x-ratelimit-limit-requests": str(int(bucket.capacity)),
                "x-ratelimit-remaining-requests": str(remaining),
                "x-ratelimit-reset-requests": f"{reset_s * 1000:.0f}ms",
            }
        moment = time.time() + reset_s
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + f".{int(moment % 1 * 1000):03d}Z"
        return {
            "anthropic-ratelimit-requests-limit": str(int(bucket.capacity)),
            "anthropic-ratelimit-requests-remaining": str(remaining),
            "anthropic-ratelimit-requests-reset": stamp,
        }


def _fits(entry: dict[str, Any], request: web.Request) -> bool:
    import re

    match = entry.get("match") or {}
    if "method" in match and match["method"] != request.method:
        return False
    url = f"https://{request.host}{request.raw_path}"
    return "url_regex" not in match or bool(re.search(match["url_regex"], url))


async def _reply(request: web.Request, entry: dict[str, Any], extra: dict[str, str]) -> web.StreamResponse:
    response = web.StreamResponse(status=int(entry.get("status", 200)))
    for name, value in (entry.get("headers") or {}).items():
        if not name.lower().startswith(RECORDED_LIMIT_HEADERS):
            response.headers.add(name, str(value))
    for name, value in extra.items():
        response.headers[name] = value
    await response.prepare(request)
    if "body_chunks_b64" in entry:
        chunks = [base64.b64decode(c) for c in entry["body_chunks_b64"]]
    else:
        chunks = [c.encode() for c in entry.get("body_chunks") or []]
    for chunk in chunks:
        await response.write(chunk)
        await asyncio.sleep(0)
    await response.write_eof()
    return response
