"""A loopback upstream with a request quota, for the rate-limiter tests (no tests of its own).

Each provider's model requests are answered with a recorded reply of a scenario (its wire
format: SSE, AWS event-stream frames, Google token endpoint), but only ``quota_per_s`` of them
per second per API route: the bucket holds ``quota_per_s / 20`` requests (50 ms worth) and
refills continuously: the benchmark server's ``QuotaBucket``. Above it the answer is a 429 with
``retry-after`` (fractional seconds until the next free slot) and, optionally, OpenAI's
rate-limit headers on every reply. Token and model-list requests are free.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from parity.runner import LoopbackResolver, substitute
from parity.server import Entry, bound_port
from parity.tls import TLSFiles
from tools.bench.server import QuotaBucket

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
    model_reply: Entry
    free_replies: list[Entry]  # token endpoint, model lists


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
        Entry.from_spec(upstream[model_index]),
        [Entry.from_spec(entry) for i, entry in enumerate(upstream) if i != model_index],
    )


@dataclass
class QuotaServer:
    cases: list[Case]
    quota_per_s: float
    tls: TLSFiles
    limit_headers: str | None = None  # None or "openai"
    _buckets: dict[str, QuotaBucket] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    port: int = 0
    tls_port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def served(self) -> dict[str, int]:
        return {provider: bucket.served for provider, bucket in self._buckets.items()}

    @property
    def refused(self) -> dict[str, int]:
        return {provider: bucket.refused for provider, bucket in self._buckets.items()}

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
        self.port = bound_port(plain)
        self.tls_port = bound_port(secure)
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
        url = f"https://{request.host}{path}"
        for case in self.cases:
            for entry in case.free_replies:
                if entry.fits(request.method, path, url):
                    return await _reply(request, entry, {})
        return web.json_response({"error": {"message": f"quota server: nothing for {path}"}}, status=418)

    async def _model(self, request: web.Request, case: Case) -> web.StreamResponse:
        bucket = self._buckets.get(case.provider)
        if bucket is None:
            bucket = self._buckets[case.provider] = QuotaBucket(self.quota_per_s, self.limit_headers or "plain")
        wait = bucket.take()
        headers = bucket.limit_headers()
        if wait > 0:
            headers["retry-after"] = f"{wait:.3f}"
            body = {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}
            return web.json_response(body, status=429, headers=headers)
        return await _reply(request, case.model_reply, headers)


async def _reply(request: web.Request, entry: Entry, extra: dict[str, str]) -> web.StreamResponse:
    response = web.StreamResponse(status=int(entry.spec.get("status", 200)))
    for name, value in (entry.spec.get("headers") or {}).items():
        if not name.lower().startswith(RECORDED_LIMIT_HEADERS):
            response.headers.add(name, str(value))
    for name, value in extra.items():
        response.headers[name] = value
    await response.prepare(request)
    for chunk in entry.chunks():
        await response.write(chunk)
        await asyncio.sleep(0)
    await response.write_eof()
    return response
