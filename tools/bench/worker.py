"""One measurement in a fresh process: ``python -m tools.bench.worker '<json spec>'``.

The spec names the ``client``, the ``wire``, the server ``origin``, the ``measures`` to take (the
full run gives one; ``--quick`` lets the three stream measures share a process) and their sizes.
The result is the last stdout line, ``RESULT {json}``: ``{"ok": true, "values": {...}}`` or
``{"ok": false, "error": "..."}``. Import measures do not come here: ``IMPORT_PROBE`` runs under
``python -c`` so that nothing but the interpreter is loaded before the import it times.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import sys
import time
import traceback
from typing import Any

IMPORT_PROBE = """
import sys, time
def _mb(key):
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1]) / 1024
    except OSError:
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1024 * 1024 if sys.platform == 'darwin' else 1024)
base = _mb('VmRSS:')
t0 = time.perf_counter()
__import__(sys.argv[1])
elapsed = time.perf_counter() - t0
print('RESULT {"ok": true, "values": {"import_ms": %r, "rss_mb": %r, "base_rss_mb": %r}}'
      % (elapsed * 1000, _mb('VmRSS:'), base))
"""
"""``python -c IMPORT_PROBE <module>``: import time and RSS after the import."""

HEAVY_MODULES = ("botocore", "boto3", "google.auth", "tiktoken", "cryptography")
"""Modules the port should load only when a provider needs them."""


def memory_mb(key: str) -> float:
    """``VmRSS:`` (resident now) or ``VmHWM:`` (peak resident) of this process, in MB."""
    from .proxies import status_kb

    kb = status_kb("self", key)
    if kb:
        return kb / 1024
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


# --- stream measures ------------------------------------------------------------------------


async def _cpu(client: Any, spec: dict[str, Any]) -> dict[str, float]:
    """CPU time of one long stream, per 1,000 deltas."""
    n = spec["long_deltas"]
    wall0, cpu0 = time.perf_counter(), time.process_time()
    await client.stream(n)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {"cpu_ms_per_1k": cpu * 1e6 / n, "wall_ms_per_1k": wall * 1e6 / n}


async def _short(client: Any, spec: dict[str, Any]) -> dict[str, float]:
    """Short streamed requests one after another: wall and CPU time per request."""
    m, n = spec["short_requests"], spec["short_deltas"]
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(m):
        await client.stream(n)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {"ms_per_request": wall * 1000 / m, "cpu_ms_per_request": cpu * 1000 / m}


async def _concurrent(client: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """``concurrency`` streams at once, ``concurrent_deltas`` each: wall time, peak RSS, errors."""
    c, n = spec["concurrency"], spec["concurrent_deltas"]
    wall0, cpu0 = time.perf_counter(), time.process_time()
    outcomes = await asyncio.gather(*(client.stream(n) for _ in range(c)), return_exceptions=True)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    values: dict[str, Any] = {
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mb": memory_mb("VmHWM:"),
        "errors": len(errors),
    }
    if errors:
        values["first_error"] = f"{type(errors[0]).__name__}: {errors[0]}"[:300]
    return values


_STREAM_MEASURES = {"cpu": _cpu, "short": _short, "concurrent": _concurrent}


async def run_streams(spec: dict[str, Any]) -> dict[str, Any]:
    """Build the client, warm it up (imports, first connection), then take each measure."""
    from .clients import make_client
    from .server import raise_open_files_limit

    raise_open_files_limit()
    client = make_client(spec["client"], spec["wire"], spec["origin"])
    values: dict[str, Any] = {}
    try:
        for _ in range(3):
            await client.stream(spec["short_deltas"])
        for measure in spec["measures"]:
            gc.collect()
            values[measure] = await _STREAM_MEASURES[measure](client, spec)
    finally:
        await client.close()
    return values


# --- handlers: RSS with one handler of each provider ----------------------------------------

HANDLER_SETTINGS: dict[str, dict[str, Any]] = {
    "openai": {
        "apiProvider": "openai",
        "openAiBaseUrl": "http://127.0.0.1:9/v1",
        "openAiApiKey": "sk-bench",
        "openAiModelId": "gpt-4o",
    },
    "anthropic": {"apiProvider": "anthropic", "apiModelId": "claude-sonnet-4-5", "apiKey": "sk-ant-bench"},
    "openrouter": {
        "apiProvider": "openrouter",
        "openRouterApiKey": "sk-or-bench",
        "openRouterModelId": "anthropic/claude-sonnet-4.5",
    },
    "bedrock": {
        "apiProvider": "bedrock",
        "apiModelId": "anthropic.claude-sonnet-4-5-20250929-v1:0",
        "awsRegion": "us-east-1",
        "awsAccessKey": "AKIABENCH",
        "awsSecretKey": "bench",
    },
    "vertex": {
        "apiProvider": "vertex",
        "apiModelId": "gemini-2.5-flash",
        "vertexProjectId": "bench-project",
        "vertexRegion": "us-central1",
    },
    "gemini": {"apiProvider": "gemini", "apiModelId": "gemini-2.5-flash", "geminiApiKey": "AIzaBench"},
    "xai": {"apiProvider": "xai", "apiModelId": "grok-4-fast-reasoning", "xaiApiKey": "xai-bench"},
    "anthropic-vertex": {
        "apiProvider": "vertex",
        "apiModelId": "claude-sonnet-4-5@20250929",
        "vertexProjectId": "bench-project",
        "vertexRegion": "us-east5",
    },
}
"""The 8 providers of the port; construction does no I/O, so no server is needed."""

_HANDLER_MODULES = {"anthropic-vertex": "anthropic_vertex"}


def run_handlers(spec: dict[str, Any]) -> dict[str, Any]:
    """RSS after ``import aiohttp`` (floor) or after building one handler of each provider (port)."""
    import importlib.util

    import aiohttp  # noqa: F401  (both sides start from it)

    values: dict[str, Any] = {}
    if spec["client"] == "port":
        import providers

        built, missing = [], {}
        handlers = []
        for name, settings in HANDLER_SETTINGS.items():
            module = f"providers.{_HANDLER_MODULES.get(name, name)}"
            if importlib.util.find_spec(module) is None:
                missing[name] = f"{module} does not exist yet"
                continue
            try:
                handlers.append(providers.build_api_handler(settings))
                built.append(name)
            except Exception as error:  # a handler module that does not build is reported
                missing[name] = f"{type(error).__name__}: {error}"[:200]
        values["built"] = built
        values["missing"] = missing
        values["heavy_modules_loaded"] = sorted(name for name in HEAVY_MODULES if name in sys.modules)
    gc.collect()
    values["rss_mb"] = memory_mb("VmRSS:")
    return values


# --- Bedrock: SigV4 signing + event-stream decoding per request -----------------------------


def run_sign(spec: dict[str, Any]) -> dict[str, Any]:
    """Sign one ConverseStream request and decode its reply, ``sign_requests`` times.

    ``floor`` is botocore alone (``SigV4Auth.add_auth``, ``EventStreamBuffer``, ``json.loads``
    of each payload); ``port`` is ``providers.sdk.aws`` (its signer and its chunker, codec and
    unmarshaller, as a ConverseStream call runs them).
    """
    from .clients import AWS_ACCESS_KEY, AWS_REGION, AWS_SECRET_KEY, BEDROCK_MODEL
    from .server import bedrock_events

    frames = bedrock_events(spec["short_deltas"])
    body = json.dumps(
        {
            "messages": [{"role": "user", "content": [{"text": "Say hello. " * 40}]}],
            "system": [{"text": "You are terse. " * 20}],
            "inferenceConfig": {"maxTokens": 8192, "temperature": 0},
        }
    ).encode()
    model = BEDROCK_MODEL.replace(":", "%3A")
    url = f"https://bedrock-runtime.{AWS_REGION}.amazonaws.com/model/{model}/converse-stream"
    headers = {"content-type": "application/json", "accept": "application/vnd.amazon.eventstream"}
    m = spec["sign_requests"]
    if spec["client"] == "port":
        from providers.sdk import aws

        credentials = {"accessKeyId": AWS_ACCESS_KEY, "secretAccessKey": AWS_SECRET_KEY}

        def one() -> int:
            aws.sign_sigv4("POST", url, headers, body, credentials, AWS_REGION, time.time())
            chunker = aws.EventMessageChunker()
            events = 0
            for frame in frames:
                for message in chunker.feed(frame):
                    if aws.unmarshal_event(aws.decode_message(message)) is not None:
                        events += 1
            chunker.end()
            return events

    else:
        from botocore.auth import SigV4Auth  # type: ignore[import-untyped]
        from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
        from botocore.credentials import Credentials  # type: ignore[import-untyped]
        from botocore.eventstream import EventStreamBuffer  # type: ignore[import-untyped]

        boto_credentials = Credentials(AWS_ACCESS_KEY, AWS_SECRET_KEY)

        def one() -> int:
            request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
            SigV4Auth(boto_credentials, "bedrock", AWS_REGION).add_auth(request)
            buffer = EventStreamBuffer()
            events = 0
            for frame in frames:
                buffer.add_data(frame)
                for message in buffer:
                    if message.headers[":event-type"] and json.loads(message.payload) is not None:
                        events += 1
            return events

    expected = len(frames)
    for _ in range(3):
        if one() != expected:
            raise AssertionError(f"{spec['client']}: not every event-stream message was decoded")
    gc.collect()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(m):
        one()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {"us_per_request": wall * 1e6 / m, "cpu_us_per_request": cpu * 1e6 / m}


# --- the adaptive limiter (issue #11): its overhead, and a limiter set above the quota ----------

LIMITER_MEASURES = ("limiter_overhead", "limiter_quota", "limiter_quota_headers")
"""The limiter measure's parts: overhead unthrottled; 3 × Q with 429 + retry-after only; 3 × Q
with OpenAI's rate-limit headers on every reply."""

UNTHROTTLED_RPM = 1e12
"""A ceiling no loopback run comes near: the limiter never makes a request wait."""


async def _limiter_overhead(spec: dict[str, Any]) -> dict[str, Any]:
    """What a limiter costs a request it never holds back.

    The same short streamed request through a plain and a limited openai handler (one shared
    session, one server), alternating request by request; the overhead is the difference of the
    two medians, in wall and in CPU time. Then the limiter's own part alone, as the transport
    runs it for each attempt: ``acquire`` + ``is_throttled`` + ``observe`` of a reply's headers.
    """
    from multidict import CIMultiDict, CIMultiDictProxy

    from providers import ratelimit

    from .clients import PortClient, prompt

    m, n = spec["limiter_requests"], spec["short_deltas"]
    plain = PortClient("openai", spec["origin"])
    limited = PortClient("openai", spec["origin"], limiter=ratelimit.AdaptiveLimiter(UNTHROTTLED_RPM))
    for _ in range(3):
        await plain.stream(n)
        await limited.stream(n)
    gc.collect()
    wall: dict[str, list[float]] = {"plain": [], "limited": []}
    cpu: dict[str, list[float]] = {"plain": [], "limited": []}
    perf_counter, process_time = time.perf_counter, time.process_time
    for i in range(m):
        pair = (("plain", plain), ("limited", limited))
        for name, client in pair if i % 2 == 0 else pair[::-1]:
            wall0, cpu0 = perf_counter(), process_time()
            await client.stream(n)
            cpu[name].append(process_time() - cpu0)
            wall[name].append(perf_counter() - wall0)

    limiter = ratelimit.AdaptiveLimiter(UNTHROTTLED_RPM)
    headers = CIMultiDictProxy(
        CIMultiDict(
            {
                "Content-Type": "text/event-stream; charset=utf-8",
                "Date": "Thu, 01 Jan 2026 00:00:00 GMT",
                "Server": "Python/3.12 aiohttp/3.12",
                "Transfer-Encoding": "chunked",
            }
        )
    )
    body = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": prompt(n)}]}).encode()
    k = spec["limiter_calls"]
    acquire, observe, is_throttled, estimate = (
        limiter.acquire,
        limiter.observe,
        ratelimit.is_throttled,
        ratelimit.estimate_tokens,
    )
    gc.collect()
    wall0 = perf_counter()
    for _ in range(k):
        await acquire(estimate(body), limiter.max_wait_s)
        if not is_throttled(200, headers):
            observe(200, headers)
    micro = perf_counter() - wall0
    median = statistics.median
    return {
        "plain_ms": median(wall["plain"]) * 1000,
        "limited_ms": median(wall["limited"]) * 1000,
        "overhead_us": (median(wall["limited"]) - median(wall["plain"])) * 1e6,
        "overhead_cpu_us": (median(cpu["limited"]) - median(cpu["plain"])) * 1e6,
        "micro_us": micro * 1e6 / k,
        "requests": m,
        "calls": k,
    }


async def _limiter_quota(spec: dict[str, Any], headers: str) -> dict[str, Any]:
    """``quota_requests`` concurrent streamed requests through the openai handler, its limiter
    set to 3 × the server's quota: how many the server refused, and the time against the ideal
    ``quota_requests / Q``. Each run has a bucket of its own on the server (a fresh prefix)."""
    import uuid

    import aiohttp

    from providers.ratelimit import AdaptiveLimiter

    from .clients import PortClient

    q, c, n = spec["quota_per_s"], spec["quota_requests"], spec["short_deltas"]
    base = f"{spec['origin']}/quota/{q:g}/{headers}/{uuid.uuid4().hex[:12]}"
    limiter = AdaptiveLimiter(3 * q * 60)
    client = PortClient("openai", base, limiter=limiter)
    gc.collect()
    wall0 = time.perf_counter()
    outcomes = await asyncio.gather(*(client.stream(n) for _ in range(c)), return_exceptions=True)
    wall = time.perf_counter() - wall0
    async with aiohttp.ClientSession() as session, session.get(f"{base}/stats") as response:
        counts = await response.json()
    errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    stats = limiter.stats()
    values: dict[str, Any] = {
        "requests": c,
        "quota_per_s": q,
        "ideal_s": c / q,
        "wall_s": wall,
        "time_vs_ideal": wall / (c / q),
        "served": counts["served"],
        "refused": counts["refused"],
        "share_429_pct": 100.0 * counts["refused"] / c,
        "errors": len(errors),
        "final_rate_per_minute": stats.rate_per_minute,
        "resent": stats.resent,
        "given_up": stats.given_up,
        "peak_rss_mb": memory_mb("VmHWM:"),
    }
    if errors:
        values["first_error"] = f"{type(errors[0]).__name__}: {errors[0]}"[:300]
    return values


async def run_limiter(spec: dict[str, Any]) -> dict[str, Any]:
    """Take each limiter measure the spec names (``--quick`` runs them in one process)."""
    import providers

    from .server import raise_open_files_limit

    raise_open_files_limit()
    values: dict[str, Any] = {}
    try:
        for measure in spec["measures"]:
            if measure == "limiter_overhead":
                values[measure] = await _limiter_overhead(spec)
            else:
                values[measure] = await _limiter_quota(
                    spec, "openai" if measure == "limiter_quota_headers" else "plain"
                )
    finally:
        await providers.aclose()
    return values


# --- the router (issue #16): its overhead per request and per delta ------------------------------

ROUTER_MEASURES = ("router_overhead", "router_cpu")
"""The router measure's parts: a short request through a one-deployment router against the bare
handler; CPU of a long stream through it against the bare handler."""


async def _alternate(
    plain: Any, routed: Any, rounds: int, n: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """``rounds`` requests of ``n`` deltas each way, alternating (the order flips every round)."""
    wall: dict[str, list[float]] = {"plain": [], "router": []}
    cpu: dict[str, list[float]] = {"plain": [], "router": []}
    perf_counter, process_time = time.perf_counter, time.process_time
    for i in range(rounds):
        pair = (("plain", plain), ("router", routed))
        for name, client in pair if i % 2 == 0 else pair[::-1]:
            wall0, cpu0 = perf_counter(), process_time()
            await client.stream(n)
            cpu[name].append(process_time() - cpu0)
            wall[name].append(perf_counter() - wall0)
    return wall, cpu


async def run_router(spec: dict[str, Any]) -> dict[str, Any]:
    """Take each router measure the spec names (``--quick`` runs both in one process)."""
    import providers

    from .clients import PortClient, RouterClient

    plain, routed = PortClient("openai", spec["origin"]), RouterClient("openai", spec["origin"])
    median = statistics.median
    values: dict[str, Any] = {}
    try:
        for _ in range(3):
            await plain.stream(spec["short_deltas"])
            await routed.stream(spec["short_deltas"])
        for measure in spec["measures"]:
            gc.collect()
            if measure == "router_overhead":
                m = spec["router_requests"]
                wall, cpu = await _alternate(plain, routed, m, spec["short_deltas"])
                values[measure] = {
                    "plain_ms": median(wall["plain"]) * 1000,
                    "router_ms": median(wall["router"]) * 1000,
                    "overhead_us": (median(wall["router"]) - median(wall["plain"])) * 1e6,
                    "overhead_cpu_us": (median(cpu["router"]) - median(cpu["plain"])) * 1e6,
                    "requests": m,
                }
            else:
                n = spec["long_deltas"]
                _, cpu = await _alternate(plain, routed, spec["router_rounds"], n)
                plain_ms, router_ms = median(cpu["plain"]) * 1e6 / n, median(cpu["router"]) * 1e6 / n
                values[measure] = {
                    "plain_cpu_ms_per_1k": plain_ms,
                    "router_cpu_ms_per_1k": router_ms,
                    "cpu_vs_handler": router_ms / plain_ms,
                    "rounds": spec["router_rounds"],
                }
    finally:
        await providers.aclose()
    return values


# --- the router with a ledger (issue #17): overhead per request, 1,000 concurrent with budgets ----

LEDGER_MEASURES = ("ledger_overhead", "ledger_concurrent")
"""The ledger measure's parts: a short request through the router with a SQLite ledger and
budgets against the bare router (and with the ledger alone, recording without budgets); ``concurrency`` concurrent requests through the router with
budgets (that admit them all) against the same without a ledger."""


async def _all_at_once(client: Any, c: int, n: int) -> tuple[float, int]:
    """``c`` requests of ``n`` deltas at once: wall time and errors."""
    start = time.perf_counter()
    results = await asyncio.gather(*(client.stream(n) for _ in range(c)), return_exceptions=True)
    return time.perf_counter() - start, sum(isinstance(r, BaseException) for r in results)


async def run_ledger(spec: dict[str, Any]) -> dict[str, Any]:
    """Take each ledger measure the spec names, on a SQLite file in a temporary directory."""
    import tempfile

    import providers
    from gateway.ledger import Budget

    from .clients import LedgerRouterClient, RouterClient

    median = statistics.median
    values: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        budgets = [Budget(tokens=10**12, per="day"), Budget(tokens=10**12, per="month", key="bench"),
                   Budget(tokens=10**6, per="query")]
        plain = RouterClient("openai", spec["origin"])
        routed = LedgerRouterClient("openai", spec["origin"], f"sqlite:///{tmp}/usage.db", budgets)
        recorded = LedgerRouterClient("openai", spec["origin"], f"sqlite:///{tmp}/records.db", [])
        try:
            for _ in range(3):
                await plain.stream(spec["short_deltas"])
                await routed.stream(spec["short_deltas"])
                await recorded.stream(spec["short_deltas"])
            for measure in spec["measures"]:
                gc.collect()
                if measure == "ledger_overhead":
                    m = spec["router_requests"]
                    wall, cpu = await _alternate(plain, routed, m, spec["short_deltas"])
                    rec_wall, rec_cpu = await _alternate(plain, recorded, m, spec["short_deltas"])
                    values[measure] = {
                        "plain_ms": median(wall["plain"]) * 1000,
                        "router_ms": median(wall["router"]) * 1000,
                        "overhead_us": (median(wall["router"]) - median(wall["plain"])) * 1e6,
                        "overhead_cpu_us": (median(cpu["router"]) - median(cpu["plain"])) * 1e6,
                        "record_overhead_us": (median(rec_wall["router"]) - median(rec_wall["plain"])) * 1e6,
                        "record_overhead_cpu_us": (median(rec_cpu["router"]) - median(rec_cpu["plain"])) * 1e6,
                        "requests": m,
                    }
                else:
                    c, n = spec["concurrency"], spec["short_deltas"]
                    walls: dict[str, list[float]] = {"plain": [], "router": []}
                    errors = 0
                    for i in range(3):
                        pair = (("plain", plain), ("router", routed))
                        for name, client in pair if i % 2 == 0 else pair[::-1]:
                            wall_s, failed = await _all_at_once(client, c, n)
                            walls[name].append(wall_s)
                            errors += failed
                    values[measure] = {
                        "plain_s": median(walls["plain"]),
                        "ledger_s": median(walls["router"]),
                        "wall_vs_router": median(walls["router"]) / median(walls["plain"]),
                        "requests": c,
                        "errors": errors,
                    }
        finally:
            await routed.ledger.aclose()
            await recorded.ledger.aclose()
            await providers.aclose()
    return values


# --- the HTTP gateway (issue #20) beside the LiteLLM proxy --------------------------------------

GATEWAY_MEASURES = ("gateway_overhead", "gateway_concurrent")
"""The gateway measure's parts, each through an HTTP proxy in a process of its own
(``tools.bench.proxies``: ``port`` runs the port's gateway, ``litellm`` the LiteLLM proxy,
``floor`` the bare aiohttp relay) in front of the loopback server on the openai wire: the
latency it adds to a short request over the same library called in-process (for the relay: raw
aiohttp straight to the server); ``concurrency`` streams at once through it."""

PROXY_OF = {"floor": "relay", "port": "gateway", "litellm": "litellm"}
"""The proxy each client of the gateway measure runs."""


async def _against(proxy: Any, in_process: Any, client: Any, m: int, n: int) -> dict[str, float]:
    """``m`` requests of ``n`` deltas each way, alternating: the library in-process and
    ``client`` through the proxy; the medians, their difference, the CPU of a request in-process
    (median) and the proxy process's CPU per request (its total over the ``m``)."""
    median = statistics.median
    for _ in range(3):
        await client.stream(n)
        await in_process.stream(n)
    gc.collect()
    cpu0 = proxy.cpu_s()
    wall, cpu = await _alternate(in_process, client, m, n)
    proxy_cpu = proxy.cpu_s() - cpu0
    return {
        "in_process_ms": median(wall["plain"]) * 1000,
        "proxy_ms": median(wall["router"]) * 1000,
        "overhead_ms": (median(wall["router"]) - median(wall["plain"])) * 1000,
        "in_process_cpu_ms": median(cpu["plain"]) * 1000,
        "proxy_cpu_ms": proxy_cpu * 1000 / m,
    }


async def _proxy_overhead(
    spec: dict[str, Any], proxy: Any, in_process: Any, in_process_whole: Any
) -> dict[str, Any]:
    """Short requests, alternating: through the proxy (raw aiohttp, ``ProxyClient``), streamed
    and then not (``"stream": false``, one JSON reply), against the library in-process on the
    same server, streamed (``in_process``) and not (``in_process_whole``: the port's handler
    streams either way, as the gateway does; litellm asks the server for one JSON reply, as its
    proxy does); the difference of the medians, and the proxy process's CPU per request. Then
    the openai SDK as the client (streamed), through the proxy against straight to the server,
    when the SDK is installed."""
    import importlib.util

    from .clients import OpenAIPythonClient, ProxyClient

    m, n = spec["gateway_requests"], spec["short_deltas"]
    values: dict[str, Any] = {"requests": m}
    streamed, whole = ProxyClient(proxy.origin, proxy.key), ProxyClient(proxy.origin, proxy.key, streamed=False)
    try:
        values.update(await _against(proxy, in_process, streamed, m, n))
        values.update(
            {f"json_{k}": v for k, v in (await _against(proxy, in_process_whole, whole, m, n)).items()}
        )
    finally:
        await streamed.close()
        await whole.close()
    if importlib.util.find_spec("openai") is not None:
        median = statistics.median
        direct = OpenAIPythonClient("openai", spec["origin"])
        through = OpenAIPythonClient("openai", proxy.origin, api_key=proxy.key)
        try:
            for _ in range(3):
                await direct.stream(n)
                await through.stream(n)
            gc.collect()
            wall, _ = await _alternate(direct, through, m, n)
        finally:
            await direct.close()
            await through.close()
        values["sdk_direct_ms"] = median(wall["plain"]) * 1000
        values["sdk_proxy_ms"] = median(wall["router"]) * 1000
        values["sdk_overhead_ms"] = (median(wall["router"]) - median(wall["plain"])) * 1000
    return values


async def _proxy_concurrent(spec: dict[str, Any], proxy: Any) -> dict[str, Any]:
    """``concurrency`` streams of ``gateway_deltas`` at once through the proxy: wall time, the
    proxy's peak RSS (``VmHWM``, its start included) and CPU, errors and deltas lost."""
    from .clients import ProxyClient

    c, n = spec["concurrency"], spec["gateway_deltas"]
    client = ProxyClient(proxy.origin, proxy.key)
    try:
        await client.stream(n)
        gc.collect()
        idle_rss, cpu0 = proxy.rss_mb(), proxy.cpu_s()
        wall0 = time.perf_counter()
        outcomes = await asyncio.gather(*(client.stream(n) for _ in range(c)), return_exceptions=True)
        wall = time.perf_counter() - wall0
        cpu = proxy.cpu_s() - cpu0
    finally:
        await client.close()
    errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    values: dict[str, Any] = {
        "wall_s": wall,
        "peak_rss_mb": proxy.peak_rss_mb(),
        "idle_rss_mb": idle_rss,
        "proxy_cpu_s": cpu,
        "errors": len(errors),
        "lost_chunks": client.lost,
        "streams": c,
        "deltas": n,
        "start_s": proxy.start_s,
    }
    if errors:
        values["first_error"] = f"{type(errors[0]).__name__}: {errors[0]}"[:300]
    return values


async def run_gateway(spec: dict[str, Any]) -> dict[str, Any]:
    """Start the proxy of the spec's client (``PROXY_OF``: the gateway, the LiteLLM proxy, the
    relay), take each gateway measure the spec names through it, stop it."""
    from .clients import OPENAI_KEY, LiteLLMClient, PortClient, ProxyClient
    from .proxies import ProxyProcess
    from .server import raise_open_files_limit

    raise_open_files_limit()  # the proxy inherits it: 2 sockets per stream
    client = spec["client"]
    proxy = ProxyProcess(PROXY_OF[client], spec["origin"], loop=spec.get("proxy_loop", "auto"))
    in_process: Any
    if client == "floor":  # the bare hop: raw aiohttp through the relay against straight to the server
        in_process = ProxyClient(spec["origin"], OPENAI_KEY)
        whole = ProxyClient(spec["origin"], OPENAI_KEY, streamed=False)
    elif client == "port":
        in_process = whole = PortClient("openai", spec["origin"])
    else:
        in_process = LiteLLMClient("openai", spec["origin"])
        whole = LiteLLMClient("openai", spec["origin"], streamed=False)
    values: dict[str, Any] = {}
    try:
        await proxy.start()
        for measure in spec["measures"]:
            if measure == "gateway_overhead":
                values[measure] = await _proxy_overhead(spec, proxy, in_process, whole)
            else:
                values[measure] = await _proxy_concurrent(spec, proxy)
    finally:
        proxy.close()
        await in_process.close()  # litellm's closes every client of the module, ``whole``'s too
        if client == "floor":
            await whole.close()
    return values


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    try:
        kind = spec["measures"][0]
        if kind == "handlers":
            values = {"handlers": run_handlers(spec)}
        elif kind == "sign":
            values = {"sign": run_sign(spec)}
        elif kind in LIMITER_MEASURES:
            values = asyncio.run(run_limiter(spec))
        elif kind in ROUTER_MEASURES:
            values = asyncio.run(run_router(spec))
        elif kind in LEDGER_MEASURES:
            values = asyncio.run(run_ledger(spec))
        elif kind in GATEWAY_MEASURES:
            values = asyncio.run(run_gateway(spec))
        else:
            values = asyncio.run(run_streams(spec))
        result: dict[str, Any] = {"ok": True, "values": values}
    except BaseException as error:  # reported, not raised: the run goes on with the next client
        traceback.print_exc(file=sys.stderr)
        result = {"ok": False, "error": f"{type(error).__name__}: {error}"[:500]}
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
