"""gateway.router: strategies over 1,000 requests, 1,000 concurrent streams with a failing
deployment, configuration (TOML, ``api_key_env``, groups), attempt records, stats, health, logs,
and the opt-in ``build_api_handler(sdk_retries=False)``. Real handlers against the tests'
loopback upstream (tests/loopback.py); streams are the benchmark server's (tools/bench/server.py).
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from loopback import TOKEN_URL, Reply, Upstream, collect, sample_service_account

import providers
from gateway.errors import NoDeploymentAvailable
from gateway.router import AttemptRecord, Router
from providers.sdk.retries import NoSdkRetriesHandler
from tools.bench import clients
from tools.bench.server import anthropic_events, openai_events

MESSAGES = [{"role": "user", "content": "Hi"}]
KEY = "sk-ant-api03-SECRETSECRETSECRET"
SSE = {"content-type": "text/event-stream; charset=utf-8"}


def anthropic(origin: str, model: str = "claude-sonnet-4-5") -> dict[str, Any]:
    return {"apiProvider": "anthropic", "apiModelId": model, "apiKey": KEY, "anthropicBaseUrl": origin}


def answer(text: str = "hello") -> Reply:
    """An Anthropic Messages answer (complete_prompt)."""
    return Reply.json({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
                       "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
                       "usage": {"input_tokens": 5, "output_tokens": 1}})


def recorder() -> tuple[list[AttemptRecord], Any]:
    records: list[AttemptRecord] = []
    return records, records.append


async def serve_answers(upstream: Upstream, names: list[str], n: int) -> None:
    for name in names:
        upstream.route(f"/{name}/", answer(name), times=n)


# --- strategies over 1,000 requests -------------------------------------------------------------


async def test_round_robin_is_exact_over_1000_requests(upstream: Upstream) -> None:
    names = ["a", "b", "c"]
    await serve_answers(upstream, names, 1000)
    r = Router([{"name": n, "settings": anthropic(f"{upstream.base_url}/{n}")} for n in names], strategy="round_robin")
    got = [await r.complete_prompt("hi") for _ in range(1000)]
    assert got[:6] == ["a", "b", "c", "a", "b", "c"]
    assert collections.Counter(got) == {"a": 334, "b": 333, "c": 333}


async def test_random_is_uniform_within_bounds_and_reproducible_with_its_seed(upstream: Upstream) -> None:
    names = ["a", "b", "c"]
    await serve_answers(upstream, names, 1100)
    specs = [{"name": n, "settings": anthropic(f"{upstream.base_url}/{n}")} for n in names]
    r = Router(specs, strategy="random", seed=7)
    got = [await r.complete_prompt("hi") for _ in range(1000)]
    counts = collections.Counter(got)
    # binomial(1000, 1/3): sigma 14.9; 4 sigma either side
    assert all(333 - 60 <= counts[n] <= 333 + 60 for n in names), counts
    again = Router(specs, strategy="random", seed=7)
    assert [await again.complete_prompt("hi") for _ in range(100)] == got[:100]


async def test_cheapest_is_always_the_cheapest_available(upstream: Upstream) -> None:
    clock = [1000.0]
    models = {"opus": "claude-opus-4-1-20250805", "sonnet": "claude-sonnet-4-5", "haiku": "claude-haiku-4-5-20251001"}
    upstream.route("/haiku/", answer("haiku"), times=500)
    upstream.route("/haiku/", Reply.json({"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}},
                                         429, {"retry-after": "2"}))
    upstream.route("/haiku/", answer("haiku"), times=499)
    upstream.route("/sonnet/", answer("sonnet"), times=1000)
    upstream.route("/opus/", answer("opus"), times=1000)
    r = Router([{"name": n, "settings": anthropic(f"{upstream.base_url}/{n}", m)} for n, m in models.items()],
               strategy="cheapest", cooldown_s=1, clock=lambda: clock[0])
    got = []
    for i in range(1000):
        clock[0] = 1000.0 + i * 0.01  # 10 s in all
        got.append(await r.complete_prompt("hi"))
    # haiku ($1 + $5) until its 429 (request 501, at 5 s: answered by sonnet, $3 + $15), then
    # sonnet while haiku cools down for its 2 s retry-after (longer than cooldown_s), then haiku
    assert got[:500] == ["haiku"] * 500
    back = got.index("haiku", 500)
    assert got[500:back] == ["sonnet"] * (back - 500) and 199 <= back - 500 <= 201
    assert got[back:] == ["haiku"] * (1000 - back)


async def test_least_busy_prefers_the_deployment_with_fewest_in_flight(upstream: Upstream) -> None:
    slow = Reply(200, SSE, list(anthropic_events(3)), delay_ms=200)
    upstream.route("/a/", slow)
    upstream.route("/b/", Reply(200, SSE, list(anthropic_events(3))))
    records, listen = recorder()
    r = Router([{"name": n, "settings": anthropic(f"{upstream.base_url}/{n}")} for n in "ab"],
               strategy="least_busy", on_attempt=listen)
    first = asyncio.ensure_future(collect(r.create_message("sys", MESSAGES)))
    while r.stats()["a"]["in_flight"] == 0:
        await asyncio.sleep(0.001)
    await collect(r.create_message("sys", MESSAGES))
    await first
    assert [x.deployment for x in records] == ["b", "a"]


async def test_lowest_latency_follows_the_moving_average_of_time_to_first_chunk(upstream: Upstream) -> None:
    upstream.server.add({**Reply(200, SSE, list(anthropic_events(3))).entry("/a/", times=4), "headers_delay_ms": 150})
    upstream.route("/b/", Reply(200, SSE, list(anthropic_events(3))), times=4)
    records, listen = recorder()
    r = Router([{"name": n, "settings": anthropic(f"{upstream.base_url}/{n}")} for n in "ab"],
               strategy="lowest_latency", on_attempt=listen)
    for _ in range(4):
        await collect(r.create_message("sys", MESSAGES))
    # unmeasured deployments come first (a, then b); from then on the faster one
    assert [x.deployment for x in records] == ["a", "b", "b", "b"]
    stats = r.stats()
    assert stats["a"]["ttfc_s"]["p50"] >= 0.15 > stats["b"]["ttfc_s"]["p99"]


# --- 1,000 concurrent streams, one deployment failing -------------------------------------------


async def test_1000_concurrent_streams_with_one_failing_deployment_lose_nothing(upstream: Upstream) -> None:
    n = 1000
    events = openai_events(8)
    reply = Reply(200, SSE, [b"".join(events[:4]), b"".join(events[4:8]), b"".join(events[8:])], delay_ms=1)
    upstream.route("/good1/", reply, times=n)
    upstream.route("/good2/", reply, times=n)
    upstream.route("/bad/", Reply.json({"error": {"message": "down"}}, 503), times=n)
    records, listen = recorder()
    r = Router(
        [{"name": name, "settings": clients.port_settings("openai", f"{upstream.base_url}/{name}")}
         for name in ("good1", "bad", "good2")],
        strategy="round_robin", allowed_fails=10**6, on_attempt=listen,
    )

    async def one() -> list[dict[str, Any]]:
        return await collect(r.create_message("sys", MESSAGES))

    results = await asyncio.gather(*(one() for _ in range(n)), return_exceptions=True)
    errors = [x for x in results if isinstance(x, BaseException)]
    assert errors == []
    expected = [f" tok{i}" for i in range(8)]
    assert all([c["text"] for c in chunks if c["type"] == "text"] == expected for chunks in results)  # type: ignore[union-attr]
    assert all(chunks[-1] == {"type": "usage", "inputTokens": 21, "outputTokens": 8} for chunks in results)  # type: ignore[index]
    outcomes = collections.Counter((x.deployment, x.outcome) for x in records)
    assert outcomes[("bad", "error")] == 333  # every third request started there and went on
    assert outcomes[("good1", "ok")] + outcomes[("good2", "ok")] == n
    assert r.stats()["bad"]["in_flight"] == 0


# --- configuration --------------------------------------------------------------------------


CONFIG = """
[router]
strategy = "highest_priority"
max_retries = 1
timeout_s = 30
cooldown_s = 2
allowed_fails = 2
seed = 3

[[deployments]]
name = "backup"
group = "smart"
priority = 2
api_key_env = "ROUTER_TEST_KEY"
settings = { apiProvider = "anthropic", apiModelId = "claude-sonnet-4-5", anthropicBaseUrl = "ORIGIN/backup" }

[[deployments]]
name = "main"
group = "smart"
priority = 1
api_key_env = "ROUTER_TEST_KEY"
settings = { apiProvider = "anthropic", apiModelId = "claude-sonnet-4-5", anthropicBaseUrl = "ORIGIN/main" }

[[deployments]]
name = "fast"
group = "quick"
priority = 1
settings = { apiProvider = "openai", openAiBaseUrl = "ORIGIN/fast/v1", openAiModelId = "gpt-4o", openAiApiKey = "sk-test" }
"""


async def test_from_config_reads_the_toml_tables_and_fills_keys_from_the_environment(
    upstream: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROUTER_TEST_KEY", KEY)
    path = tmp_path / "gateway.toml"
    path.write_text(CONFIG.replace("ORIGIN", upstream.base_url))
    r = Router.from_config(path)
    assert (r.strategy, r.max_retries, r.timeout_s, r.cooldown_s, r.allowed_fails) == ("highest_priority", 1, 30, 2, 2)
    upstream.route("/main/", answer("from main"))
    assert await r.complete_prompt("hi") == "from main"  # priority 1 before 2
    assert upstream.seen[0].headers["x-api-key"] == KEY
    smart = r.for_model("smart")
    assert [d.name for d in smart.deployments] == ["backup", "main"]
    assert [d.name for d in r.for_model("fast").deployments] == ["fast"]
    with pytest.raises(NoDeploymentAvailable):
        r.for_model("nothing-by-that-name")


def test_a_missing_key_variable_is_named_never_a_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROUTER_TEST_KEY", raising=False)
    config = {
        "router": {"strategy": "primary"},
        "deployments": [{"name": "main", "api_key_env": "ROUTER_TEST_KEY",
                         "settings": {"apiProvider": "openai", "openAiBaseUrl": "http://127.0.0.1:9/v1"}}],
    }
    with pytest.raises(ValueError, match="ROUTER_TEST_KEY is not set"):
        Router.from_config(config)


def test_unknown_strategy_and_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown strategy"):
        Router([{"name": "a", "settings": anthropic("http://127.0.0.1:9")}], strategy="fastest")
    with pytest.raises(ValueError, match="unknown keys"):
        Router.from_config({"router": {"stratgy": "primary"}, "deployments": []})


# --- the handler interface, records, stats, logs ----------------------------------------------


async def test_router_is_a_handler_and_records_each_attempts_usage(upstream: Upstream) -> None:
    start = {"type": "message_start", "message": {"id": "m", "type": "message", "role": "assistant", "content": [],
             "model": "claude-sonnet-4-5", "usage": {"input_tokens": 100, "output_tokens": 1,
             "cache_creation_input_tokens": 20, "cache_read_input_tokens": 30}}}
    events = list(anthropic_events(2))
    events[0] = f"event: message_start\ndata: {json.dumps(start)}\n\n".encode()
    upstream.route("/a/", Reply(200, SSE, events))
    records, listen = recorder()
    broken: list[AttemptRecord] = []

    def failing(record: AttemptRecord) -> None:
        broken.append(record)
        raise RuntimeError("a listener's bug")

    r = Router([{"name": "a", "settings": anthropic(f"{upstream.base_url}/a")}], on_attempt=[failing, listen])
    chunks = await collect(r.create_message("sys", MESSAGES))
    assert chunks[0] == {"type": "usage", "inputTokens": 100, "outputTokens": 1, "cacheWriteTokens": 20, "cacheReadTokens": 30}
    (record,) = records
    assert broken == records  # the failing listener did not stop the next one, nor the request
    assert (record.deployment, record.provider, record.model, record.outcome) == ("a", "anthropic", "claude-sonnet-4-5", "ok")
    assert record.usage.input_tokens == 100 and record.usage.output_tokens == 1 + 2
    assert (record.usage.cache_write_tokens, record.usage.cache_read_tokens) == (20, 30)
    assert record.usage.total_cost is not None and record.usage.total_cost > 0
    assert record.ttfc_s is not None and 0 < record.ttfc_s <= record.latency_s
    assert r.get_model()["id"] == "claude-sonnet-4-5"
    assert await r.count_tokens([{"type": "text", "text": "hello world"}]) > 0
    stats = r.stats()["a"]
    assert (stats["requests"], stats["failures"], stats["in_flight"]) == (1, 0, 0)
    assert stats["latency_s"]["p50"] == stats["latency_s"]["p99"] == record.latency_s
    assert (await r.health())["a"] == {"available": True, "available_at": None, "in_flight": 0}


async def test_breaking_out_closes_the_stream_and_records_no_failure(upstream: Upstream) -> None:
    upstream.route("/a/", Reply(200, SSE, list(anthropic_events(50)), delay_ms=5))
    records, listen = recorder()
    r = Router([{"name": "a", "settings": anthropic(f"{upstream.base_url}/a")}], on_attempt=listen)
    stream = r.create_message("sys", MESSAGES)
    async for chunk in stream:
        if chunk["type"] == "text" and chunk["text"]:
            break
    await stream.aclose()  # type: ignore[attr-defined]
    await asyncio.wait_for(upstream.idle(), 2)  # the connection is gone: the server stopped writing
    assert records[0].outcome == "interrupted" and r.stats()["a"]["failures"] == 0


async def test_debug_logs_name_deployments_never_keys(upstream: Upstream, caplog: pytest.LogCaptureFixture) -> None:
    upstream.route("/main/", Reply.json({"type": "error", "error": {"type": "api_error", "message": "boom"}}, 500))
    upstream.route("/backup/", answer())
    r = Router([{"name": n, "settings": anthropic(f"{upstream.base_url}/{n}")} for n in ("main", "backup")])
    with caplog.at_level(logging.DEBUG, logger="gateway.router"):
        await r.complete_prompt("hi")
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "failing over from main to backup" in text
    assert KEY not in text and "SECRET" not in text


# --- the opt-in keyword of build_api_handler ----------------------------------------------------


async def test_build_api_handler_keeps_the_sdk_retries_unless_told(upstream: Upstream) -> None:
    settings = clients.port_settings("openai", f"{upstream.base_url}/x")
    assert not isinstance(providers.build_api_handler(settings), NoSdkRetriesHandler)
    handler = providers.build_api_handler(settings, sdk_retries=False)
    assert isinstance(handler, NoSdkRetriesHandler) and handler.get_model()["id"] == "gpt-4o"
    upstream.route("/x/", Reply.json({"error": {"message": "down"}}, 503), times=3)
    with pytest.raises(Exception) as raised:
        await collect(handler.create_message("sys", MESSAGES))
    assert getattr(raised.value, "status", None) == 503
    assert len(upstream.seen) == 1  # no SDK retry


async def test_sdk_retries_off_reaches_the_google_token_request(upstream: Upstream) -> None:
    upstream.server.add(Reply.json({"error": "backend_error"}, 503).entry(TOKEN_URL, 4))
    settings = {
        "apiProvider": "vertex",
        "apiModelId": "gemini-2.5-flash",
        "vertexProjectId": "sample-project",
        "vertexRegion": "us-central1",
        "vertexJsonCredentials": json.dumps(sample_service_account()),
    }
    handler = providers.build_api_handler(settings, sdk_retries=False)
    with pytest.raises(Exception):
        await collect(handler.create_message("sys", MESSAGES))
    assert len(upstream.requests_to("oauth2")) == 1  # gaxios would have retried 3 times
