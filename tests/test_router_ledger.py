"""gateway.router with gateway.ledger: budgets reserved before sending (1,000 concurrent requests,
on a SQLite file and on PostgreSQL), every attempt settled or recorded (failover, a caller that
breaks out, a strategy run), ``[ledger]``/``[[budgets]]`` configuration, ``provider_status`` and
``analytics``. Real handlers against the tests' loopback upstream (tests/loopback.py)."""

from __future__ import annotations

import asyncio
import json
import math
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from loopback import Reply, Upstream, collect
from pg_server import PostgresServer

from gateway.errors import BudgetExceeded
from gateway.ledger import Budget, Ledger
from gateway import router as router_module
from gateway.router import Router
from gateway.strategies import run_strategy
from providers.utils.cost import calculate_api_cost_anthropic
from providers.utils.tiktoken import tiktoken

MODEL = "claude-sonnet-4-5"  # $3 / $15 per million tokens, maxTokens 8192 (get_model)
OUTPUT_CAP = 8192
SYSTEM = "You are terse."
MESSAGES = [{"role": "user", "content": "Hi"}]
SSE = {"content-type": "text/event-stream; charset=utf-8"}


def anthropic(origin: str) -> dict[str, Any]:
    return {"apiProvider": "anthropic", "apiModelId": MODEL, "apiKey": "sk-ant-api03-SECRET", "anthropicBaseUrl": origin}


def stream(text: str, input_tokens: int, output_tokens: int) -> Reply:
    """A Messages stream reporting exactly this usage (``message_start`` and ``message_delta``)."""
    events = [
        ("message_start", {"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "model": MODEL, "content": [],
            "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": 0}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                           "usage": {"output_tokens": output_tokens}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return Reply(200, SSE, [f"event: {name}\ndata: {json.dumps(body)}\n\n".encode() for name, body in events])


def reference_cost(input_tokens: int, output_tokens: int) -> float:
    cost: float = calculate_api_cost_anthropic({"inputPrice": 3.0, "outputPrice": 15.0}, input_tokens, output_tokens)["totalCost"]
    return cost


@pytest.fixture(scope="module")
def postgres_server() -> Any:
    try:
        server = PostgresServer()
    except (RuntimeError, OSError) as exc:
        pytest.fail(f"the PostgreSQL router test needs a PostgreSQL server and none could be started: {exc}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'usage.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return await server.create_database()


async def estimate(router: Router) -> int:
    """What the router reserves for one request: count_tokens of its input plus the output cap."""
    return await router.count_tokens([{"type": "text", "text": SYSTEM}, {"type": "text", "text": "Hi"}]) + OUTPUT_CAP


# --- budgets under concurrency -----------------------------------------------------------------


async def test_1000_concurrent_requests_never_overshoot_a_budget(upstream: Upstream, db_url: str) -> None:
    n = 1000
    ledger = Ledger(db_url)
    probe = Router([{"name": "main", "settings": anthropic(f"{upstream.base_url}/main")}])
    input_tokens = await estimate(probe) - OUTPUT_CAP
    # the upstream reports exactly the estimate: every admitted request uses what it reserved
    upstream.route("/main/", stream("ok", input_tokens, OUTPUT_CAP), times=n)
    per_request = input_tokens + OUTPUT_CAP
    usd_estimate = reference_cost(input_tokens, OUTPUT_CAP)
    budgets = [
        Budget(tokens=100 * per_request + per_request // 2, per="day"),   # admits 100
        Budget(usd=30.5 * usd_estimate, per="month", key="team-a"),       # 30 of team-a's at once
        Budget(tokens=per_request, per="query"),
    ]
    router = Router([{"name": "main", "settings": anthropic(f"{upstream.base_url}/main")}], ledger=ledger, budgets=budgets)

    async def one(i: int) -> list[dict[str, Any]]:
        key = "team-a" if i % 2 else "team-b"
        return await collect(router.create_message(SYSTEM, MESSAGES, {"taskId": f"t{i}", "key_id": key}))

    results = await asyncio.gather(*(one(i) for i in range(n)), return_exceptions=True)
    refused = [r for r in results if isinstance(r, BudgetExceeded)]
    served = [r for r in results if isinstance(r, list)]
    assert len(refused) + len(served) == n  # nothing else went wrong
    sent = len(upstream.requests_to("/main/"))
    assert len(served) == sent == 100  # refused requests sent nothing
    assert {r.scope for r in refused} <= {"day", "month key=team-a"}
    refused_day = next(r for r in refused if r.scope == "day")
    assert refused_day.limit == budgets[0].limit and refused_day.unit == "tokens"

    used, reserved = await ledger.budget_usage(budgets[0])
    assert (used, reserved) == (100 * per_request, 0)
    used_a, reserved_a = await ledger.budget_usage(budgets[1])
    assert used_a <= budgets[1].limit and reserved_a == pytest.approx(0, abs=1e-12)
    report = await ledger.cost_report(group_by=("key",))
    assert report.total_tokens == sent * per_request  # the upstream's reported usage, summed
    # The cost is the handler's totalCost (Task.ts takes it when given): anthropic.ts prices the
    # usage of message_start (output 0 there) with calculateApiCostAnthropic, $3 per M input.
    usd = reference_cost(input_tokens, 0)
    assert usd == pytest.approx(3.0 * input_tokens / 1e6, rel=1e-12)
    assert report.estimated_cost_usd == pytest.approx(sent * usd, rel=1e-9)
    assert used_a == pytest.approx(report.by_key["team-a"].requests * usd, rel=1e-9)
    assert report.by_key["team-a"].requests + report.by_key["team-b"].requests == sent
    await ledger.aclose()


async def test_a_per_query_budget_refuses_an_estimate_over_it_before_sending(upstream: Upstream, tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'usage.db'}")
    router = Router([{"name": "main", "settings": anthropic(f"{upstream.base_url}/main")}],
                    ledger=ledger, budgets=[Budget(tokens=5_000, per="query")])
    with pytest.raises(BudgetExceeded) as refused:
        await collect(router.create_message(SYSTEM, MESSAGES))
    # the estimate holds the model's output cap (8,192): over 5,000 whatever the input
    assert (refused.value.scope, refused.value.limit, refused.value.resets_at) == ("query", 5_000, None)
    assert refused.value.used == await estimate(router)
    assert upstream.seen == []
    assert (await ledger.cost_report()).total_tokens == 0
    await ledger.aclose()


def test_text_estimates_equal_the_handlers_count_and_count_each_text_once() -> None:
    rng = random.Random(17)
    words = ["hello", " wörld", "日本語", " ", "\n", "Say", "🙂", "x" * 50, "<|endoftext|>", "123", "ab\r\n"]
    for _ in range(2000):
        texts = ["".join(rng.choice(words) for _ in range(rng.randint(0, 30))) for _ in range(rng.randint(0, 4))]
        # what the router reserves for text inputs is what count_tokens (tiktoken) says
        assert router_module._count_texts(texts) == tiktoken([{"type": "text", "text": t} for t in texts])
    for i in range(router_module.TEXT_COUNTS + 1):
        router_module._count_texts([f"text {i}"])
    assert len(router_module._text_counts) == router_module.TEXT_COUNTS  # bounded: the oldest go first
    assert "text 0" not in router_module._text_counts and "text 1" in router_module._text_counts
    router_module._text_counts["You are terse."] = 10**6  # a text counted lately is not counted again
    assert router_module._count_texts(["You are terse."]) == math.ceil(10**6 * 1.5)
    router_module._text_counts.clear()


# --- what is recorded ----------------------------------------------------------------------------


async def test_failover_attempts_are_recorded_and_settled(upstream: Upstream, tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'usage.db'}")
    upstream.route("/bad/", Reply.json({"type": "error", "error": {"type": "api_error", "message": "down"}}, 503))
    upstream.route("/good/", stream("fine", 40, 7))
    day = Budget(tokens=100_000, per="day")
    router = Router([{"name": n, "settings": anthropic(f"{upstream.base_url}/{n}")} for n in ("bad", "good")],
                    ledger=ledger, budgets=[day], allowed_fails=1, cooldown_s=60)
    chunks = await collect(router.create_message(SYSTEM, MESSAGES, key_id="team-a"))
    assert "".join(c["text"] for c in chunks if c["type"] == "text") == "fine"
    report = await ledger.cost_report(group_by=("deployment",))
    assert report.by_deployment["bad"].requests == 1 and report.by_deployment["bad"].failed == 1
    assert report.by_deployment["good"].total_tokens == 47
    assert report.by_key["team-a"].requests == 2  # both attempts carry the caller's key id
    assert await ledger.budget_usage(day) == (47, 0)  # the estimate replaced by the actual use

    bad = await router.provider_status("bad")
    assert bad["available"] is False and bad["model"] == MODEL  # cooling down after its failure
    assert (bad["request_count"], bad["total_tokens"], bad["error_rate"]) == (1, 0, 1.0)
    good = await router.provider_status("good")
    assert good["available"] is True
    assert (good["request_count"], good["total_tokens"], good["error_rate"]) == (1, 47, 0.0)
    assert good["cost_usd"] == pytest.approx(reference_cost(40, 0), rel=1e-12)  # the handler's totalCost
    assert good["p50_latency_s"] is not None and good["p50_latency_s"] > 0
    assert await router.analytics() == {"bad": bad, "good": good}
    with pytest.raises(KeyError):
        await router.provider_status("nope")
    await ledger.aclose()


async def test_a_caller_breaking_out_settles_its_attempt_as_interrupted(upstream: Upstream, tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'usage.db'}")
    upstream.route("/main/", stream("partial", 30, 5))
    day = Budget(tokens=100_000, per="day")
    router = Router([{"name": "main", "settings": anthropic(f"{upstream.base_url}/main")}], ledger=ledger, budgets=[day])
    reply = router.create_message(SYSTEM, MESSAGES)
    async for chunk in reply:
        if chunk["type"] == "text":
            break
    await reply.aclose()  # what `async with contextlib.aclosing(...)` does
    used, reserved = await ledger.budget_usage(day)
    assert reserved == 0 and used == 30  # message_start's input tokens had come
    report = await ledger.cost_report()
    assert report.by_deployment["main"].requests == 1 and report.by_deployment["main"].failed == 1  # not ok
    await ledger.aclose()
    with sqlite3.connect(tmp_path / "usage.db") as db:
        assert db.execute("SELECT outcome, error_class FROM attempts").fetchall() == [("interrupted", "GeneratorExit")]


async def test_a_ledger_without_budgets_records_each_attempt(upstream: Upstream, tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'usage.db'}")
    upstream.route("/main/", stream("a", 10, 2), times=3)
    router = Router([{"name": "main", "settings": anthropic(f"{upstream.base_url}/main")}], ledger=ledger)
    for _ in range(3):
        await collect(router.create_message(SYSTEM, MESSAGES, {"taskId": "t", "key_id": "k1"}))
    report = await ledger.cost_report(group_by=("key",))
    assert report.by_key["k1"].requests == 3 and report.total_tokens == 36
    await ledger.aclose()


async def test_a_strategy_run_through_the_router_fills_by_strategy(upstream: Upstream, tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'usage.db'}")
    upstream.route("/main/", stream("7", 20, 3), times=6)  # bon: 3 completions and 3 ratings
    router = Router([{"name": "main", "settings": anthropic(f"{upstream.base_url}/main")}],
                    ledger=ledger, budgets=[Budget(tokens=1_000_000, per="day")])
    result = await run_strategy("bon", "sys", "q", router)
    assert result.answer == "7" and len(result.calls) == 6
    report = await ledger.cost_report(group_by=("strategy",))
    assert report.by_strategy["bon"].requests == 6
    assert report.by_strategy["bon"].total_tokens == 6 * 23
    assert report.by_strategy["bon"].cost_usd == pytest.approx(6 * reference_cost(20, 0), rel=1e-12)
    await ledger.aclose()


# --- configuration -------------------------------------------------------------------------------


async def test_from_config_builds_the_ledger_and_budgets(upstream: Upstream, tmp_path: Path) -> None:
    db = tmp_path / "usage.db"
    config = {
        "router": {"strategy": "primary"},
        "deployments": [{"name": "main", "settings": anthropic(f"{upstream.base_url}/main")}],
        "ledger": {"url": f"sqlite:///{db}"},
        "budgets": [{"tokens": 1_000, "per": "query"}, {"usd": 5.0, "per": "month", "key": "team-a"}],
    }
    router = Router.from_config(config)
    assert isinstance(router.ledger, Ledger) and router.ledger.url == f"sqlite:///{db}"
    assert router.budgets == (Budget(tokens=1_000, per="query"), Budget(usd=5.0, per="month", key="team-a"))
    with pytest.raises(BudgetExceeded):
        await collect(router.create_message(SYSTEM, MESSAGES))
    await router.ledger.aclose()
    with pytest.raises(ValueError, match="budgets need a ledger"):
        Router([{"name": "main", "settings": anthropic(upstream.base_url)}], budgets=[Budget(tokens=1, per="day")])
    with pytest.raises(ValueError, match=r"\[ledger\]: unknown keys"):
        Router.from_config({**config, "ledger": {"url": "sqlite:///x.db", "path": "x"}})
    assert upstream.seen == []

