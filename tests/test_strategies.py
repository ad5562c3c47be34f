"""run_strategy's own rules (token budget, fallback, per-call options, MARS's low-confidence
warning), against loopback servers and the port's openai handler."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from loopback import Upstream

import providers
from gateway.options import with_options
from gateway.strategies import MarsConfig, MCTSConfig, run_strategy
from parity.strategies import DEFAULT_TRANSCRIPTS, ScriptServer, load, sse_reply
from parity.strategy_script import Script

MARS_SCRIPT = next(t for t in load(DEFAULT_TRANSCRIPTS) if t["name"] == "mars_preset_cost")["script"]


def settings(base_url: str) -> dict[str, Any]:
    return {"apiProvider": "openai", "openAiBaseUrl": f"{base_url}/v1", "openAiApiKey": "sk-test", "openAiModelId": "m"}


@pytest.fixture
async def scripted() -> AsyncIterator[Any]:
    servers: list[ScriptServer] = []

    async def start(script: dict[str, Any]) -> ScriptServer:
        servers.append(await ScriptServer([], script=Script(script)).start())
        return servers[-1]

    yield start
    await providers.aclose()
    for server in servers:
        await server.close()


async def test_budget_stops_mars_and_returns_the_best_solution_so_far(scripted: Any) -> None:
    server = await scripted(MARS_SCRIPT)
    config = MarsConfig.preset("cost")  # 2 agents, token_budget 2,000
    result = await run_strategy("mars", "sys", "What is 1+3+...+19?", settings(server.base_url), config=config)
    assert result.metadata["budget_exhausted"] is True
    assert result.metadata["budget"]["limit"] == 2000
    assert result.answer and result.answer in {c["answer"] for c in result.calls}
    assert result.usage["inputTokens"] <= 2000
    assert len(server.requests) == len(result.calls) < 64  # the unbudgeted run sends 64


async def test_run_budget_overrides_none_and_stops_best_of_n(scripted: Any) -> None:
    server = await scripted({"rules": [{"when": ["Rate the above response:"], "answers": ["7"]}, {"when": [], "answers": ["A", "B", "C"]}]})
    result = await run_strategy("bon", "sys", "q " * 20, settings(server.base_url), token_budget=120)
    assert result.metadata["budget_exhausted"] is True
    assert result.answer in {"A", "B", "C"}
    assert 3 <= len(server.requests) < 6


async def test_fallback_answers_with_one_plain_call_when_the_strategy_fails(upstream: Upstream) -> None:
    messages = [{"role": "system", "content": "sys"}, {"role": "user", "content": "q"}]
    upstream.server.add(*(sse_reply(a, messages) for a in ("one", "two", "three")))
    upstream.server.add({"status": 400, "headers": {"content-type": "application/json"}, "body_chunks": [json.dumps({"error": {"message": "bad critique"}})]})
    upstream.server.add(sse_reply("plain answer", messages))
    result = await run_strategy("moa", "sys", "q", settings(upstream.base_url), fallback=True)
    assert result.answer == "plain answer"
    assert result.metadata["fallback"] is True
    assert "bad critique" in result.metadata["error"]
    plain = upstream.seen[-1].json()
    assert plain["messages"] == messages
    assert plain["temperature"] == 0 and "max_completion_tokens" not in plain  # the target's own settings


async def test_without_fallback_the_strategys_error_is_raised(upstream: Upstream) -> None:
    upstream.server.add({"status": 400, "headers": {"content-type": "application/json"}, "body_chunks": [json.dumps({"error": {"message": "no"}})], "times": 9})
    with pytest.raises(Exception, match="no"):
        await run_strategy("self_consistency", "sys", "q", settings(upstream.base_url))


async def test_mars_warns_when_its_confidence_is_below_one_half(scripted: Any, caplog: pytest.LogCaptureFixture) -> None:
    server = await scripted(
        {"rules": [
            {"when": ["in a collaborative reasoning system"], "vary": False, "answers": ["I am not sure, it might be 90 [{tag}]"]},
            {"when": ["You are a verification expert"], "vary": False, "answers": ["This is incomplete."]},
            {"when": [], "vary": False, "answers": ["Perhaps 90."]},
        ]}
    )
    with caplog.at_level(logging.WARNING, logger="gateway.strategies"):
        result = await run_strategy("mars", "sys", "q", settings(server.base_url), config=MarsConfig(max_tokens=4000))
    assert result.metadata["final_solution_id"] == "synthesis"
    assert result.metadata["confidence"] == pytest.approx(0.2)
    assert result.answer == "Perhaps 90." and result.reasoning == "Perhaps 90."
    assert any("low confidence 0.20" in r.getMessage() for r in caplog.records)


async def test_seeded_mcts_runs_repeat(scripted: Any) -> None:
    script = next(t for t in load(DEFAULT_TRANSCRIPTS) if t["name"] == "mcts_seed7")["script"]
    answers = []
    for _ in range(2):
        server = await scripted(script)
        result = await run_strategy("mcts", "sys", "q", settings(server.base_url), config=MCTSConfig(), rng=random.Random(3))
        answers.append((result.answer, [c["messages"] for c in result.calls]))
    assert answers[0] == answers[1]
    assert result.iterations == 2


def test_with_options_builds_handlers_from_a_settings_copy() -> None:
    base = {"apiProvider": "openai", "openAiModelId": "m", "openAiBaseUrl": "http://127.0.0.1:9/v1"}
    from_dict = with_options(base, temperature=0.3, max_tokens=512)
    assert from_dict.options["modelTemperature"] == 0.3
    assert from_dict.options["modelMaxTokens"] == 512 and from_dict.options["includeMaxTokens"] is True
    assert "modelTemperature" not in base
    handler = providers.build_api_handler(base)
    derived = with_options(handler, temperature=1)
    assert type(derived) is type(handler) and derived.options["modelTemperature"] == 1
    assert "modelTemperature" not in handler.options
    assert with_options(handler) is handler


def test_with_options_keeps_a_handlers_limiter() -> None:
    from providers.ratelimit import AdaptiveLimiter, LimitedHandler

    limiter = AdaptiveLimiter(600)
    limited = providers.build_api_handler({"apiProvider": "openai", "openAiModelId": "m"}, limiter=limiter)
    derived = with_options(limited, temperature=0.5, max_tokens=10)
    assert isinstance(derived, LimitedHandler) and derived.limiter is limiter
    assert derived.options["modelTemperature"] == 0.5 and derived.options["modelMaxTokens"] == 10


def test_with_options_defers_to_a_targets_own_method() -> None:
    class Router:
        def with_options(self, temperature: float | None = None, max_tokens: int | None = None) -> tuple[Any, Any]:
            return temperature, max_tokens

    assert with_options(Router(), temperature=0.1, max_tokens=50) == (0.1, 50)


async def test_unknown_strategy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown strategy 'cot'"):
        await run_strategy("cot", "sys", "q", {})


def test_presets_follow_the_brief() -> None:
    assert MarsConfig.preset("code").request_config()["mars_config"]["num_agents"] == 7
    assert MarsConfig.preset("quality").token_budget == 10000
    assert MarsConfig.preset("latency").max_iterations == 1
    assert MarsConfig.preset("cost").token_budget == 2000
    assert MarsConfig().request_config() == {"mars_config": {}}
    with pytest.raises(ValueError):
        MarsConfig.preset("fast")



async def test_a_router_like_target_gets_per_call_options_and_the_strategy_name() -> None:
    seen: list[tuple[dict[str, Any], Any]] = []

    class Router:
        def __init__(self, options: dict[str, Any] | None = None) -> None:
            self.options = options or {}

        def with_options(self, temperature: float | None = None, max_tokens: int | None = None) -> Router:
            return Router({"temperature": temperature, "max_tokens": max_tokens})

        def get_model(self) -> dict[str, Any]:
            return {"id": "routed"}

        async def create_message(self, system_prompt: str, messages: list[dict[str, Any]], metadata: Any = None) -> Any:
            seen.append((self.options, metadata))
            yield {"type": "text", "text": "5"}
            yield {"type": "usage", "inputTokens": 3, "outputTokens": 1}

    result = await run_strategy("self_consistency", "sys", "q", Router())
    assert result.answer == "5"
    assert result.usage == {"inputTokens": 15, "outputTokens": 5, "totalTokens": 20}
    assert seen == [({"temperature": 1, "max_tokens": 4096}, {"strategy": "self_consistency"})] * 5


async def test_a_failed_request_of_an_n_call_cancels_its_siblings_and_takes_optillms_fallback(upstream: Upstream) -> None:
    messages = [{"role": "system", "content": "sys"}, {"role": "user", "content": "q"}]
    upstream.server.add({"status": 400, "headers": {"content-type": "application/json"}, "body_chunks": [json.dumps({"error": {"message": "no n"}})]})
    upstream.server.add({**sse_reply("slow", messages), "first_chunk_delay_ms": 1500, "times": 2})
    upstream.server.add(*(sse_reply(a, messages) for a in ("one", "two", "three")))
    upstream.server.add(*(sse_reply(r, []) for r in ("4", "9", "2")))
    result = await run_strategy("bon", "sys", "q", settings(upstream.base_url))
    assert result.answer == "two"  # rated 9; the slow replies were cancelled, never used
    assert [c["answer"] for c in result.calls] == ["one", "two", "three", "4", "9", "2"]
