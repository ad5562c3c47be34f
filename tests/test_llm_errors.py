"""gateway.errors.to_llm_error: the reference's exceptions as typed errors, in each wire format.

Everything goes through ``LlmService`` configured from the environment (tests/service_env.py) and
the port's real handlers against the loopback upstream, with the SDKs' own retries off
(``LLM_SDK_RETRIES=0``) so one request is one attempt. Where a scenario recorded the upstream's
reply (fixtures/scenarios/), that reply is served and the typed error's text is the reference's,
as its golden recorded it. The context-length bodies are the upstreams' documented texts.
"""

from __future__ import annotations

import copy
import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from loopback import Reply, Upstream
from service_env import KEYS, MODELS, TEXTS, golden_error, ok, scenario_entries, use_wire

import providers.bedrock
from gateway.errors import (
    AttemptTimedOut,
    BudgetExceeded,
    LLMAuthenticationError,
    LLMContextLengthError,
    LLMError,
    LLMRateLimitError,
    LLMTimeoutError,
    NoDeploymentAvailable,
    StreamIncomplete,
    StreamInterrupted,
    to_llm_error,
)
from gateway.service import LlmService
from gateway.settings import settings_for_model
from providers import build_api_handler
from providers.js.errors import JSError
from providers.sdk import transport
from providers.utils import timeout_config

SCENARIO_PROVIDER = {"openai": "openai", "anthropic": "anthropic", "gemini": "gemini", "bedrock": "bedrock", "xai": "xai",
                     "openrouter": "openrouter"}


@pytest.fixture
def wire_env(upstream: Upstream, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """``wire_env(wire)``: the service's environment for ``wire``, SDK retries off."""

    def set_up(wire: str) -> None:
        use_wire(monkeypatch, upstream, wire, tmp_path)
        monkeypatch.setenv("LLM_SDK_RETRIES", "0")

    return set_up


def with_body(entry: dict[str, Any], body: Any, **headers: str) -> dict[str, Any]:
    """``entry`` answering ``body`` (a JSON value) with ``headers`` added (its length dropped)."""
    changed = copy.deepcopy(entry)
    changed["headers"] = {k: v for k, v in changed["headers"].items() if k != "content-length"} | headers
    changed["body_chunks"] = [json.dumps(body)]
    return changed


async def typed_error(wire: str, *, stream: bool = False, **config: Any) -> LLMError:
    """The typed error a call raises (streaming or not); it carries no key."""
    service = LlmService(config or None)
    with pytest.raises(LLMError) as caught:
        if stream:
            async for _ in service.get_streaming_completion("Hi"):
                pass
        else:
            await service.get_completion("Hi")
    error = caught.value
    assert KEYS[wire] not in str(error) and KEYS[wire] not in repr(error.__cause__)
    return error


def assert_wraps_the_reference(error: LLMError) -> None:
    """The cause is the exception the handler raised, its text the typed error's."""
    cause = error.__cause__
    assert isinstance(cause, JSError)
    assert str(error) == str(cause) == cause.message


# --- authentication ----------------------------------------------------------------------------

AUTH_SCENARIOS = {
    "openai": ("error_401_invalid_key", 401),
    "anthropic": ("error_401_authentication", 401),
    "gemini": ("error_400_api_key_invalid", 400),
    "bedrock": ("error_403_unrecognized_client", 403),
    "xai": ("error_400_bad_key", 400),
    "openrouter": ("error_401_no_auth", 401),
}


@pytest.mark.parametrize("stream", [False, True], ids=["completion", "stream"])
@pytest.mark.parametrize("wire", list(AUTH_SCENARIOS))
async def test_refused_key_is_authentication_error(upstream: Upstream, wire_env: Any, wire: str, stream: bool) -> None:
    name, status = AUTH_SCENARIOS[wire]
    wire_env(wire)
    upstream.server.add(*scenario_entries(SCENARIO_PROVIDER[wire], name))
    error = await typed_error(wire, stream=stream)
    assert type(error) is LLMAuthenticationError
    assert (error.status, error.provider) == (status, wire)
    assert_wraps_the_reference(error)
    assert str(error) == golden_error(SCENARIO_PROVIDER[wire], name)["message"]  # the reference's text


# --- rate limits -------------------------------------------------------------------------------


async def test_openai_429_retry_after_ms(upstream: Upstream, wire_env: Any) -> None:
    wire_env("openai")
    upstream.server.add(*scenario_entries("openai", "retry_429_retry_after_ms"))  # retry-after-ms: 15
    error = await typed_error("openai")
    assert type(error) is LLMRateLimitError and error.status == 429
    assert error.retry_after == 0.015
    assert str(error).startswith("OpenAI completion error: 429 Rate limit reached for gpt-4o")
    assert_wraps_the_reference(error)
    assert error.__cause__.__cause__.headers["retry-after-ms"] == "15"  # the SDK's RateLimitError under it


async def test_openai_429_retry_after_seconds(upstream: Upstream, wire_env: Any) -> None:
    wire_env("openai")
    (limited, _) = scenario_entries("openai", "retry_429_retry_after_ms")
    limited["headers"] = {k: v for k, v in limited["headers"].items() if k != "retry-after-ms"} | {"retry-after": "7"}
    upstream.server.add(limited)
    error = await typed_error("openai", stream=True)
    assert type(error) is LLMRateLimitError and error.retry_after == 7.0
    assert len(upstream.seen) == 1  # the SDK's retries stay off at the call's temperature too


async def test_openai_429_without_header_reads_try_again_in(upstream: Upstream, wire_env: Any) -> None:
    wire_env("openai")
    (limited, _) = scenario_entries("openai", "retry_429_retry_after_ms")
    limited["headers"] = {k: v for k, v in limited["headers"].items() if k != "retry-after-ms"}
    upstream.server.add(limited)
    error = await typed_error("openai")
    assert type(error) is LLMRateLimitError and error.retry_after == 2.016  # "Please try again in 2.016s."


async def test_anthropic_429_retry_after(upstream: Upstream, wire_env: Any) -> None:
    wire_env("anthropic")
    upstream.server.add(*scenario_entries("anthropic", "retry_429_retry_after_then_ok"))  # retry-after: 0.02
    error = await typed_error("anthropic", stream=True)
    assert type(error) is LLMRateLimitError and (error.status, error.retry_after) == (429, 0.02)
    assert str(error).startswith('429 {"type":"error","error":{"type":"rate_limit_error"')
    assert_wraps_the_reference(error)


@pytest.mark.parametrize("delay, seconds", [("0s", 0.0), ("30s", 30.0), ("1.5s", 1.5)])
async def test_gemini_resource_exhausted_reads_retry_delay(upstream: Upstream, wire_env: Any, delay: str, seconds: float) -> None:
    wire_env("gemini")
    (limited, _) = scenario_entries("gemini", "error_429_resource_exhausted")
    body = json.loads(limited["body_chunks"][0])
    body["error"]["details"][-1]["retryDelay"] = delay
    upstream.server.add(with_body(limited, body))
    error = await typed_error("gemini")
    assert type(error) is LLMRateLimitError and error.retry_after == seconds
    assert str(error).startswith('Gemini generate context stream error: {"error":{"code":429')
    assert_wraps_the_reference(error)


async def test_gemini_recorded_429_text_is_the_references(upstream: Upstream, wire_env: Any) -> None:
    wire_env("gemini")
    upstream.server.add(*scenario_entries("gemini", "error_429_resource_exhausted"))
    error = await typed_error("gemini", stream=True)
    assert type(error) is LLMRateLimitError and error.retry_after == 0.0
    assert str(error) == golden_error("gemini", "error_429_resource_exhausted")["message"]


@pytest.mark.parametrize("stream", [False, True], ids=["completion", "stream"])
async def test_bedrock_throttling(upstream: Upstream, wire_env: Any, stream: bool) -> None:
    wire_env("bedrock")
    (throttled, _) = scenario_entries("bedrock", "throttling_429_then_ok")
    upstream.server.add(throttled)
    error = await typed_error("bedrock", stream=stream)
    assert type(error) is LLMRateLimitError and (error.status, error.retry_after) == (429, None)
    # bedrock.ts rethrows a throttling error as it is
    assert error.__cause__.name == "ThrottlingException"
    assert str(error) == "Too many requests, please wait before trying again."


async def test_bedrock_complete_prompt_rewording_keeps_the_throttling(upstream: Upstream, wire_env: Any) -> None:
    # completePrompt throws a new Error (raise … from None) that keeps only name and $metadata:
    # the typed error reads what it replaced from the suppressed context
    wire_env("bedrock")
    (throttled, _) = scenario_entries("bedrock", "throttling_429_then_ok")
    throttled["headers"]["retry-after"] = "3"
    upstream.server.add(throttled)
    handler = build_api_handler(settings_for_model(MODELS["bedrock"]), sdk_retries=False)
    with pytest.raises(JSError) as caught:
        await handler.complete_prompt("Hi")
    assert caught.value.__cause__ is None and caught.value.__context__.name == "ThrottlingException"
    typed = to_llm_error(caught.value, provider="bedrock")
    assert type(typed) is LLMRateLimitError and (typed.status, typed.retry_after) == (429, 3.0)
    assert str(typed).startswith("Bedrock completion error: Request was throttled or rate limited.")


async def test_bedrock_throttling_retry_after_header(upstream: Upstream, wire_env: Any) -> None:
    wire_env("bedrock")
    (throttled, _) = scenario_entries("bedrock", "throttling_429_then_ok")
    throttled["headers"]["retry-after"] = "5"
    upstream.server.add(throttled)
    error = await typed_error("bedrock", stream=True)
    assert type(error) is LLMRateLimitError and error.retry_after == 5.0


async def test_xai_429_retry_after_ms(upstream: Upstream, wire_env: Any) -> None:
    wire_env("xai")
    upstream.server.add(*scenario_entries("xai", "retry_429_then_ok"))  # retry-after-ms: 10
    error = await typed_error("xai")
    assert type(error) is LLMRateLimitError and (error.status, error.retry_after) == (429, 0.01)
    assert str(error) == 'xAI completion error: 429 "Too many requests. Please slow down."'


async def test_openrouter_429_retry_after_ms(upstream: Upstream, wire_env: Any) -> None:
    wire_env("openrouter")
    upstream.server.add(*scenario_entries("openrouter", "retry_429_then_ok"))  # retry-after-ms: 10
    error = await typed_error("openrouter")
    assert type(error) is LLMRateLimitError and (error.status, error.retry_after) == (429, 0.01)
    # handleOpenAIError prefers the upstream's metadata.raw
    assert str(error) == ("OpenRouter completion error: anthropic/claude-sonnet-4.5 is temporarily rate-limited "
                          "upstream. Please retry shortly.")


# --- context length ----------------------------------------------------------------------------

CONTEXT_REPLIES = {
    "openai": Reply.json({"error": {
        "message": "This model's maximum context length is 128000 tokens. However, your messages resulted in "
                   "130592 tokens. Please reduce the length of the messages.",
        "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}, 400),
    "anthropic": Reply.json({"type": "error", "error": {
        "type": "invalid_request_error", "message": "prompt is too long: 208310 tokens > 200000 maximum"}}, 400),
    "gemini": Reply.json({"error": {
        "code": 400, "message": "The input token count (1196032) exceeds the maximum number of tokens allowed (1048576).",
        "status": "INVALID_ARGUMENT"}}, 400),
    "bedrock": Reply.json({"message": "Input is too long for requested model."}, 400, {
        "x-amzn-errortype": "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"}),
    "bedrock-claude": Reply.json({"message": "prompt is too long: 215000 tokens > 200000 maximum"}, 400, {
        "x-amzn-errortype": "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"}),
    "bedrock-tokens": Reply.json({"message": "Too many input tokens. Max input tokens: 200000, request input token count: 215000"}, 400, {
        "x-amzn-errortype": "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"}),
}
CONTEXT_TEXTS = {
    "openai": "OpenAI completion error: 400 This model's maximum context length is 128000 tokens.",
    "anthropic": '400 {"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long',
    "gemini": 'Gemini generate context stream error: {"error":{"code":400,"message":"The input token count',
    "bedrock": "Unknown Error: Input is too long for requested model.",
    "bedrock-claude": "Unknown Error: prompt is too long: 215000 tokens > 200000 maximum",
    "bedrock-tokens": "Unknown Error: Too many input tokens. Max input tokens: 200000",
}


@pytest.mark.parametrize("case", list(CONTEXT_REPLIES))
async def test_context_length(upstream: Upstream, wire_env: Any, case: str) -> None:
    wire = case.split("-")[0]
    wire_env(wire)
    upstream.reply(CONTEXT_REPLIES[case])
    error = await typed_error(wire, stream=True)
    assert type(error) is LLMContextLengthError and error.status == 400
    assert str(error).startswith(CONTEXT_TEXTS[case])
    assert_wraps_the_reference(error)


async def test_openrouter_context_length(upstream: Upstream, wire_env: Any) -> None:
    wire_env("openrouter")
    (models, _) = scenario_entries("openrouter", "error_401_no_auth")
    message = ("This endpoint's maximum context length is 1000000 tokens. However, you requested about 1204467 "
               "tokens (1204467 of text input). Please reduce the length of either one, or use the "
               "\"middle-out\" transform to compress your prompt automatically.")
    upstream.server.add(models, {**Reply.json({"error": {"message": message, "code": 400}}).entry(), "status": 400})
    error = await typed_error("openrouter", stream=True)
    assert type(error) is LLMContextLengthError and error.status == 400
    assert str(error) == f"OpenRouter completion error: 400 {message}"
    assert_wraps_the_reference(error)


async def test_bedrock_context_length_yields_no_error_text_first(upstream: Upstream, wire_env: Any) -> None:
    # bedrock.ts yields "Error: …" and a zero usage before it throws: the service holds them back
    wire_env("bedrock")
    upstream.reply(CONTEXT_REPLIES["bedrock"])
    pieces: list[str] = []
    with pytest.raises(LLMContextLengthError):
        async for piece in LlmService().get_streaming_completion("Hi"):
            pieces.append(piece)
    assert pieces == []


# --- timeouts ----------------------------------------------------------------------------------


def stalled(wire: str, seconds: float = 0.8) -> dict[str, Any]:
    """A healthy reply whose headers come ``seconds`` late."""
    return {**ok(wire).entry(), "headers_delay_ms": seconds * 1000}


async def test_openai_request_timeout(upstream: Upstream, wire_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # openai.ts gives the SDK getApiRequestTimeout(): APIConnectionTimeoutError, rewrapped
    wire_env("openai")
    monkeypatch.setattr(timeout_config, "WORKSPACE_CONFIGURATION", {"apiRequestTimeout": 0.3})
    upstream.server.add(stalled("openai"))
    error = await typed_error("openai")
    assert type(error) is LLMTimeoutError and str(error) == "OpenAI completion error: Request timed out."
    assert_wraps_the_reference(error)
    assert type(error.__cause__.__cause__).__name__ == "APIConnectionTimeoutError"


async def test_gemini_headers_timeout(upstream: Upstream, wire_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Node's fetch under @google/genai: undici's headers timeout, "fetch failed"
    wire_env("gemini")
    monkeypatch.setattr(transport, "UNDICI_HEADERS_TIMEOUT_S", 0.3)
    upstream.server.add(stalled("gemini"))
    error = await typed_error("gemini", stream=True)
    assert type(error) is LLMTimeoutError
    assert str(error) == "Gemini generate context stream error: exception TypeError: fetch failed sending request"
    assert_wraps_the_reference(error)


async def test_gemini_body_timeout(upstream: Upstream, wire_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # undici's body timeout: TypeError("terminated") whose JS cause is BodyTimeoutError
    wire_env("gemini")
    monkeypatch.setattr(transport, "UNDICI_BODY_TIMEOUT_S", 0.3)
    slow = ok("gemini", 2).entry()
    slow["delay_ms"] = 800
    upstream.server.add(slow)
    pieces: list[str] = []
    with pytest.raises(LLMTimeoutError) as caught:
        async for piece in LlmService().get_streaming_completion("Hi"):
            pieces.append(piece)
    assert pieces == [TEXTS[0]]
    assert str(caught.value) == "Gemini generate context stream error: terminated"


async def test_bedrock_request_timeout(upstream: Upstream, wire_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # bedrock.ts aborts a request after its timeout: an AbortError, reworded keeping its name
    wire_env("bedrock")
    monkeypatch.setattr(providers.bedrock, "REQUEST_TIMEOUT_SECONDS", 0.3)
    upstream.server.add(stalled("bedrock"))
    error = await typed_error("bedrock", stream=True)
    assert type(error) is LLMTimeoutError
    assert error.__cause__.name == "AbortError"
    assert_wraps_the_reference(error)


@pytest.mark.parametrize("wire", ["anthropic", "bedrock"])
async def test_service_timeout(upstream: Upstream, wire_env: Any, wire: str) -> None:
    wire_env(wire)
    upstream.server.add(stalled(wire))
    error = await typed_error(wire, timeout=0.3)
    assert type(error) is LLMTimeoutError and isinstance(error.__cause__, TimeoutError)
    assert str(error) == f"no complete answer from {MODELS[wire]} within 0.3 s"


# --- other upstream errors ---------------------------------------------------------------------


async def test_server_error_is_plain_llm_error(upstream: Upstream, wire_env: Any) -> None:
    wire_env("anthropic")
    upstream.reply(Reply.json({"type": "error", "error": {"type": "api_error", "message": "Internal server error"}}, 500))
    error = await typed_error("anthropic")
    assert type(error) is LLMError and error.status == 500
    assert str(error) == '500 {"type":"error","error":{"type":"api_error","message":"Internal server error"}}'
    assert_wraps_the_reference(error)


async def test_bedrock_validation_error_is_plain_llm_error(upstream: Upstream, wire_env: Any) -> None:
    wire_env("bedrock")
    upstream.server.add(*scenario_entries("bedrock", "error_400_validation"))
    error = await typed_error("bedrock", stream=True)
    assert type(error) is LLMError and error.status == 400
    assert str(error) == golden_error("bedrock", "error_400_validation")["message"]


def test_not_an_llm_failure_is_left_alone() -> None:
    for exc in (ValueError("bad model"), KeyError("x"), RuntimeError("bug")):
        assert to_llm_error(exc) is None
    typed = LLMTimeoutError("late")
    assert to_llm_error(typed) is typed


# --- the router's errors -----------------------------------------------------------------------


def router_config(upstream: Upstream, wire: str, **router: Any) -> dict[str, Any]:
    from tools.bench import clients

    return {
        "router": {"max_retries": 0, **router},
        "deployments": [{"name": "main", "settings": clients.port_settings(wire, upstream.base_url)}],
    }


async def test_router_cooldown_is_rate_limit_until_available(upstream: Upstream, wire_env: Any) -> None:
    wire_env("openai")
    (limited, _) = scenario_entries("openai", "retry_429_retry_after_ms")
    limited["headers"] = {k: v for k, v in limited["headers"].items() if k != "retry-after-ms"} | {"retry-after": "30"}
    upstream.server.add(limited)
    service = LlmService({"router_config": router_config(upstream, "openai", cooldown_s=1)})
    with pytest.raises(LLMRateLimitError) as caught:
        await service.get_completion("Hi", model="main")
    first = caught.value
    assert first.retry_after == 30.0 and first.status == 429  # the upstream's own 429
    with pytest.raises(LLMRateLimitError) as caught:
        await service.get_completion("Hi", model="main")  # main cools down 30 s: nothing is sent
    assert isinstance(caught.value.__cause__, NoDeploymentAvailable)
    assert 28.0 < caught.value.retry_after <= 30.0
    assert len(upstream.seen) == 1


async def test_router_stall_mid_stream_is_timeout(upstream: Upstream, wire_env: Any) -> None:
    wire_env("anthropic")
    slow = ok("anthropic").entry()
    slow["delay_ms"] = 800
    upstream.server.add(slow)
    service = LlmService({"router_config": router_config(upstream, "anthropic", timeout_s=0.2)})
    with pytest.raises(LLMTimeoutError) as caught:
        async for _ in service.get_streaming_completion("Hi", model="main"):
            pass
    interrupted = caught.value.__cause__
    assert isinstance(interrupted, StreamInterrupted) and isinstance(interrupted.__cause__, AttemptTimedOut)
    assert str(caught.value) == f"{interrupted}: {interrupted.__cause__}"
    assert caught.value.provider == "anthropic"


async def test_router_stall_before_the_first_chunk_is_timeout(upstream: Upstream, wire_env: Any) -> None:
    wire_env("bedrock")
    upstream.server.add(stalled("bedrock"))
    service = LlmService({"router_config": router_config(upstream, "bedrock", timeout_s=0.2)})
    with pytest.raises(LLMTimeoutError) as caught:
        await service.get_completion("Hi", model="main")
    assert isinstance(caught.value.__cause__, AttemptTimedOut)
    assert str(caught.value) == "deployment 'main' sent nothing for 0.2 s while waiting for the first chunk"


async def test_router_stream_cut_is_classified_by_its_cause(upstream: Upstream, wire_env: Any) -> None:
    wire_env("openai")
    cut = ok("openai").entry()
    cut["destroy_after_chunks"] = 2
    upstream.server.add(cut)
    service = LlmService({"router_config": router_config(upstream, "openai")})
    with pytest.raises(LLMError) as caught:
        await service.get_completion("Hi", model="main")
    assert type(caught.value) is LLMError
    interrupted = caught.value.__cause__
    assert isinstance(interrupted, StreamInterrupted) and str(interrupted.__cause__) == "terminated"
    assert str(caught.value) == "stream from deployment 'main' broke after 1 chunk(s): terminated"


async def test_router_budget_refusal(upstream: Upstream, wire_env: Any, tmp_path: Path) -> None:
    # a period budget: rate limited until the period resets; a per-query one never fits
    wire_env("openai")
    config = router_config(upstream, "openai")
    config["ledger"] = {"url": f"sqlite:///{tmp_path / 'usage.db'}"}
    config["budgets"] = [{"tokens": 1, "per": "day"}]
    service = LlmService({"router_config": config})
    with pytest.raises(LLMRateLimitError) as caught:
        await service.get_completion("Hi", model="main")
    await service.aclose()
    refusal = caught.value.__cause__
    assert isinstance(refusal, BudgetExceeded) and refusal.scope == "day"
    midnight = (datetime.now(timezone.utc) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert abs(caught.value.retry_after - (midnight.timestamp() - time.time())) < 5
    config["budgets"] = [{"tokens": 1, "per": "query"}]
    service = LlmService({"router_config": config})
    with pytest.raises(LLMError) as caught:
        await service.get_completion("Hi", model="main")
    await service.aclose()
    assert type(caught.value) is LLMError and isinstance(caught.value.__cause__, BudgetExceeded)
    assert upstream.seen == []


def test_router_errors_without_an_upstream() -> None:
    # every router error a caller can meet, built as the router builds them
    unknown = to_llm_error(NoDeploymentAvailable("no deployment or group named 'x'", None))
    assert type(unknown) is LLMError
    incomplete = to_llm_error(StreamIncomplete("main", 3))
    assert type(incomplete) is LLMError
    interrupted = StreamInterrupted("main", 2)
    interrupted.__cause__ = JSError("429 slow down", status=429, headers={"retry-after": "4"})
    typed = to_llm_error(interrupted, provider="openai")
    assert type(typed) is LLMRateLimitError and (typed.retry_after, typed.status, typed.provider) == (4.0, 429, "openai")
