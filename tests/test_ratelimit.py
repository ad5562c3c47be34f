"""The opt-in adaptive limiter: 1,000 concurrent requests, none broken by a 429 (issue #11).

Against tests/quota_server.py (real loopback sockets): it allows Q model requests per second per
provider and answers 429 + retry-after above it. Without a limiter the handler is the plain one
(the parity suite covers that it sends and yields exactly the reference's).
"""

from __future__ import annotations

import asyncio
import resource
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from quota_server import STREAM_SCENARIOS, QuotaServer

import providers
from parity.tls import TLSFiles
from providers.ratelimit import AdaptiveLimiter, LimitedHandler, _duration_s
from providers.sdk import transport

N = 1000


@pytest.fixture
async def quota(tls_files: TLSFiles) -> AsyncIterator[Any]:
    servers: list[QuotaServer] = []

    async def start(quota_per_s: float, limit_headers: str | None = None) -> QuotaServer:
        server = await QuotaServer([], quota_per_s, tls_files, limit_headers).start()
        transport.configure(resolver=server.resolver, ssl=tls_files.client_context())
        servers.append(server)
        return server

    yield start
    await providers.aclose()
    transport.configure(resolver=None, ssl=None)
    for server in servers:
        await server.close()


async def _stream(handler: Any, call: dict[str, Any]) -> list[Any]:
    return [c async for c in handler.create_message(call["systemPrompt"], call["messages"], call.get("metadata"))]


async def _misconfigured_run(quota: Any, limit_headers: str | None) -> None:
    q = 200.0
    server = await quota(q, limit_headers)
    case = server.add("openai")
    limiter = AdaptiveLimiter(3 * q * 60)  # three times what the upstream allows
    handler = providers.build_api_handler(case.settings, limiter=limiter)
    started = time.monotonic()
    results = await asyncio.gather(*(_stream(handler, case.call) for _ in range(N)), return_exceptions=True)
    elapsed = time.monotonic() - started
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, f"{len(errors)} errors, first: {errors[0]!r}"
    assert all(r == case.expected_chunks for r in results), "a request lost chunks"
    refused = server.refused.get("openai", 0)
    stats = limiter.stats()
    print(f"\n{limit_headers or 'no'} headers: {elapsed:.2f}s (ideal {N / q:.2f}s), 429s {refused}, {stats}")
    assert refused <= 0.05 * N
    assert elapsed <= 1.3 * N / q


async def test_misconfigured_limiter_with_openai_rate_limit_headers(quota: Any) -> None:
    await _misconfigured_run(quota, "openai")


async def test_misconfigured_limiter_finds_the_rate_from_429s_alone(quota: Any) -> None:
    await _misconfigured_run(quota, None)


async def test_across_all_eight_providers(quota: Any) -> None:
    q = 100.0
    server = await quota(q)
    cases = [server.add(p) for p in STREAM_SCENARIOS]
    handlers = {c.provider: providers.build_api_handler(c.settings, limiter=AdaptiveLimiter(3 * q * 60)) for c in cases}
    jobs = [cases[i % len(cases)] for i in range(N)]
    results = await asyncio.gather(*(_stream(handlers[c.provider], c.call) for c in jobs), return_exceptions=True)
    errors = [(c.provider, r) for c, r in zip(jobs, results) if isinstance(r, BaseException)]
    assert not errors, f"{len(errors)} errors, first: {errors[0]!r}"
    lost = [c.provider for c, r in zip(jobs, results) if r != c.expected_chunks]
    assert not lost, f"chunks lost for {set(lost)}"
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nserved {server.served}, refused {server.refused}, peak RSS {peak_mb:.0f} MB")


async def test_a_shared_limiter_paces_two_handlers_together(quota: Any) -> None:
    q = 200.0
    server = await quota(q)
    case = server.add("openai")
    limiter = AdaptiveLimiter(q * 60)
    first, second = (providers.build_api_handler(case.settings, limiter=limiter) for _ in range(2))
    started = time.monotonic()
    results = await asyncio.gather(*(_stream(h, case.call) for h in (first, second) for _ in range(200)))
    elapsed = time.monotonic() - started
    assert all(r == case.expected_chunks for r in results)
    assert limiter.stats().requests_sent >= 400
    assert elapsed >= 0.9 * 400 / q  # one pace for both
    assert server.refused.get("openai", 0) <= 0.05 * 400


async def test_cancelled_waiters_leave_nothing_behind(quota: Any) -> None:
    server = await quota(1000.0)
    case = server.add("openai")
    limiter = AdaptiveLimiter(60)  # one request a second: almost everyone waits
    handler = providers.build_api_handler(case.settings, limiter=limiter)
    tasks = [asyncio.ensure_future(_stream(handler, case.call)) for _ in range(500)]
    await asyncio.sleep(0.3)
    assert limiter.stats().queued >= 490
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for _ in range(5):
        await asyncio.sleep(0)
    assert limiter.stats().queued == 0
    ours = {t for t in asyncio.all_tasks() if "aiohttp" not in (t.get_coro().cr_code.co_filename)}  # type: ignore[union-attr]
    assert ours == {asyncio.current_task()}
    connector = transport.get_session().connector
    assert connector is not None and not connector._acquired  # type: ignore[attr-defined]
    # the limiter still works after the cancellations
    assert await _stream(handler, case.call) == case.expected_chunks


async def test_past_max_wait_the_caller_gets_the_reference_error(quota: Any) -> None:
    server = await quota(0.01)  # one request per 100 s: retry-after is past the SDK's 60 s cap too
    case = server.add("openai")
    limiter = AdaptiveLimiter(600, max_wait_s=0.05)
    handler = providers.build_api_handler(case.settings, limiter=limiter)
    assert await _stream(handler, case.call) == case.expected_chunks  # the bucket's one request
    with pytest.raises(Exception) as caught:
        await _stream(handler, case.call)
    # openai.ts: handleOpenAIError(RateLimitError) -> Error("OpenAI completion error: 429 …"), status 429
    assert str(caught.value).startswith("OpenAI completion error: 429 ")
    assert getattr(caught.value, "status", None) == 429
    assert limiter.stats().given_up >= 1


def test_without_a_limiter_the_handler_is_the_plain_one() -> None:
    settings = {"apiProvider": "anthropic", "apiKey": "sk-ant-test"}
    plain = providers.build_api_handler(settings)
    assert not isinstance(plain, LimitedHandler)
    limited = providers.build_api_handler(settings, limiter=AdaptiveLimiter(60))
    assert isinstance(limited, LimitedHandler)
    assert limited.get_model() == plain.get_model()


@pytest.mark.parametrize(
    "kwargs",
    [{"requests_per_minute": 0}, {"requests_per_minute": -5}, {"requests_per_minute": 60, "max_wait_s": -1},
     {"requests_per_minute": 60, "burst": 0}, {"requests_per_minute": 60, "tokens_per_minute": 0}],
)
def test_bad_configuration_is_a_value_error(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        AdaptiveLimiter(**kwargs)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("6m0s", 360.0), ("1.5s", 1.5), ("120ms", 0.12), ("1h2m3s", 3723.0), ("2", 2.0), ("30s", 30.0)],
)
def test_upstream_durations(text: str, seconds: float) -> None:
    assert _duration_s(text) == pytest.approx(seconds)


async def test_headers_teach_the_rate_and_a_429_holds_everyone() -> None:
    limiter = AdaptiveLimiter(6000)
    limiter.observe(200, {"x-ratelimit-limit-requests": "10", "x-ratelimit-remaining-requests": "5",
                          "x-ratelimit-reset-requests": "500ms"})
    assert limiter.stats().rate_per_minute == pytest.approx(600)  # 5 used, back in 0.5 s: 10/s
    wait = limiter.observe(429, {}, b'{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[{"retryDelay":"0.2s"}]}}')
    assert wait == pytest.approx(0.2)
    started = time.monotonic()
    await limiter.acquire()
    assert time.monotonic() - started >= 0.19
    assert limiter.stats().throttled == 1


async def test_unthrottled_acquire_is_cheap() -> None:
    limiter = AdaptiveLimiter(60_000_000, burst=1000)
    started = time.perf_counter()
    for _ in range(10_000):
        await limiter.acquire()
    per_call_us = (time.perf_counter() - started) / 10_000 * 1e6
    assert per_call_us < 200  # a sanity bound, not a benchmark (tools/bench measures it)


def test_unreadable_retry_after_falls_back_to_the_body_delay() -> None:
    """A ``retry-after`` that is neither seconds nor an HTTP date is ignored, not an error."""
    limiter = AdaptiveLimiter(6000)
    wait = limiter.observe(429, {"retry-after": "soon"}, b'{"error":{"details":[{"retryDelay":"0.3s"}]}}')
    assert wait == pytest.approx(0.3)
