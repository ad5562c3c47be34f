"""gateway.service.LlmService against the loopback upstream, configured from the environment only.

Each wire's handler is the port's own, built from ``LLM_DEFAULT_MODEL`` and the variables the
official SDKs read (tests/service_env.py); what the upstream received is read back. Mock mode's
strings are exact; its one second is timed loosely once, the other mock tests shorten it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from loopback import Reply, Upstream
from service_env import MODEL_PATH, TEXTS, WIRES, clear_environment, ok, use_wire

import gateway.service
from gateway.errors import LLMAuthenticationError, LLMTimeoutError
from gateway.service import LlmService, get_llm_service, mock_response

TOOLS = [
    {"type": "function", "function": {"name": "get_time", "description": "Current time",
                                      "parameters": {"type": "object", "properties": {}, "required": []}}},
    {"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
                                      "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                     "required": ["city"]}}},
]
DENIED = Reply.json({"error": {"message": "Incorrect API key provided: sk-proj-****0000.", "type": "invalid_request_error",
                               "param": None, "code": "invalid_api_key"}}, 401)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    clear_environment(monkeypatch, tmp_path)
    return monkeypatch


def request_body(upstream: Upstream, wire: str) -> Any:
    (seen,) = upstream.requests_to(MODEL_PATH[wire])
    return seen.json()


# --- from the environment ------------------------------------------------------------------------


@pytest.mark.parametrize("wire", WIRES)
async def test_completion_from_the_environment(upstream: Upstream, wire: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_wire(monkeypatch, upstream, wire, tmp_path)
    upstream.reply(ok(wire))
    text = await LlmService().get_completion("Say hello.", system_prompt="You are terse.")
    assert text == "".join(TEXTS)
    body = request_body(upstream, wire)
    assert "Say hello." in str(body) and "You are terse." in str(body)


@pytest.mark.parametrize("wire", WIRES)
async def test_streaming_from_the_environment(upstream: Upstream, wire: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_wire(monkeypatch, upstream, wire, tmp_path)
    upstream.reply(ok(wire))
    pieces = [piece async for piece in LlmService().get_streaming_completion("Say hello.")]
    assert pieces == TEXTS
    assert "You are a helpful assistant." in str(request_body(upstream, wire))  # the default system prompt


def offered_tools(wire: str, body: dict[str, Any]) -> tuple[list[str], Any]:
    """The tool names the request offered and its tool choice, in the wire's own format."""
    if wire == "openai":
        return [t["function"]["name"] for t in body["tools"]], body["tool_choice"]
    if wire == "anthropic":
        return [t["name"] for t in body["tools"]], body["tool_choice"]
    if wire == "gemini":
        return [d["name"] for d in body["tools"][0]["functionDeclarations"]], body.get("toolConfig")
    return [t["toolSpec"]["name"] for t in body["toolConfig"]["tools"]], body["toolConfig"].get("toolChoice")


TOOL_CHOICE_AUTO = {
    "openai": "auto",
    "anthropic": {"type": "auto", "disable_parallel_tool_use": False},
    "gemini": {"functionCallingConfig": {"mode": "AUTO"}},
    "bedrock": {"auto": {}},
}


@pytest.mark.parametrize("wire", WIRES)
async def test_tools_are_offered_with_automatic_choice(upstream: Upstream, wire: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_wire(monkeypatch, upstream, wire, tmp_path)
    upstream.reply(ok(wire))
    text = await LlmService().get_completion("What time is it?", tools=TOOLS)
    assert text == "".join(TEXTS)
    names, choice = offered_tools(wire, request_body(upstream, wire))
    assert names == ["get_time", "get_weather"]
    assert choice == TOOL_CHOICE_AUTO[wire]


async def test_a_tool_call_answer_returns_only_the_text(upstream: Upstream, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_wire(monkeypatch, upstream, "openai", tmp_path)
    head = '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":'
    events = [
        head + '[{"index":0,"delta":{"role":"assistant","content":"Let me check."},"finish_reason":null}]}',
        head + '[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function",'
               '"function":{"name":"get_time","arguments":"{}"}}]},"finish_reason":null}]}',
        head + '[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}',
        head + '[],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}',
        "[DONE]",
    ]
    upstream.reply(Reply(200, {"content-type": "text/event-stream"}, [f"data: {e}\n\n".encode() for e in events]))
    assert await LlmService().get_completion("What time is it?", tools=TOOLS) == "Let me check."


async def test_temperature_and_max_tokens_per_call_on_one_handler_per_model(
    upstream: Upstream, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_wire(monkeypatch, upstream, "openai", tmp_path)
    upstream.reply(ok("openai"), ok("openai"), ok("openai"))
    service = LlmService()
    await service.get_completion("a", temperature=0.2, max_tokens=50)
    await service.get_completion("b")
    await service.get_completion("c")
    bodies = [seen.json() for seen in upstream.requests_to("/chat/completions")]
    assert [(b["temperature"], b.get("max_completion_tokens")) for b in bodies] == [(0.2, 50), (0.7, None), (0.7, None)]
    assert service._target("openai/gpt-4o", 0.7, None)[0] is service._target("openai/gpt-4o", 0.7, None)[0]
    assert list(service._handlers) == ["openai/gpt-4o"]  # built once, the options derived from it


def test_options_keep_the_sdk_retries_off() -> None:
    from gateway.options import with_options
    from gateway.settings import settings_for_model
    from providers import build_api_handler
    from providers.sdk.retries import NoSdkRetriesHandler

    handler = build_api_handler(settings_for_model("openai/gpt-4o", api_key="sk-x"), sdk_retries=False)
    derived = with_options(handler, temperature=0.2, max_tokens=50)
    assert isinstance(derived, NoSdkRetriesHandler) and derived is not handler
    assert (derived.wrapped.options["modelTemperature"], derived.wrapped.options["modelMaxTokens"]) == (0.2, 50)
    assert with_options(handler) is handler


async def test_model_argument_overrides_the_default(upstream: Upstream, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_wire(monkeypatch, upstream, "openai", tmp_path)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", upstream.base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    upstream.reply(ok("anthropic"))
    assert await LlmService().get_completion("Hi", model="anthropic/claude-sonnet-4-5") == "".join(TEXTS)
    assert request_body(upstream, "anthropic")["model"] == "claude-sonnet-4-5"


async def test_azure_deployment_from_the_environment(upstream: Upstream, env: pytest.MonkeyPatch) -> None:
    env.setenv("AZURE_OPENAI_ENDPOINT", upstream.base_url)
    env.setenv("AZURE_OPENAI_API_KEY", "azure-test-key")
    env.setenv("OPENAI_API_VERSION", "2024-10-21")
    upstream.reply(ok("openai"))
    assert await LlmService({"default_model": "azure/my-gpt4o"}).get_completion("Hi") == "".join(TEXTS)
    (seen,) = upstream.seen
    assert seen.path.startswith("/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21")
    assert seen.headers["api-key"] == "azure-test-key"


async def test_no_model_anywhere_is_a_clear_error(env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="LLM_DEFAULT_MODEL"):
        await LlmService().get_completion("Hi")
    with pytest.raises(ValueError, match="provider/model-id"):
        await LlmService({"default_model": "gpt-4o"}).get_completion("Hi")


# --- mock mode ---------------------------------------------------------------------------------


async def test_mock_answers_after_about_a_second(env: pytest.MonkeyPatch) -> None:
    env.setenv("LLM_USE_MOCK", "true")
    started = time.monotonic()
    text = await LlmService().get_completion("Hello world")
    elapsed = time.monotonic() - started
    assert text == "[MOCK LLM RESPONSE] Echo: Hello world"
    assert 0.9 <= elapsed < 3.0


async def test_mock_strings_exactly(env: pytest.MonkeyPatch) -> None:
    service = LlmService({"use_mock": True, "mock_delay": 0.01})
    assert await service.get_completion("Hi there") == "[MOCK LLM RESPONSE] Echo: Hi there"
    assert await service.get_completion("Hi", tools=TOOLS) == "[MOCK LLM RESPONSE with 2 tools] Echo: Hi"
    assert await service.get_completion("Hi", tools=TOOLS[:1]) == "[MOCK LLM RESPONSE with 1 tool] Echo: Hi"
    assert mock_response("x", []) == "[MOCK LLM RESPONSE] Echo: x"


async def test_mock_streams_word_by_word(env: pytest.MonkeyPatch) -> None:
    service = LlmService({"use_mock": True, "mock_delay": 0.05})
    pieces = [p async for p in service.get_streaming_completion("Tell me  a story", tools=TOOLS)]
    assert pieces == ["[MOCK ", "LLM ", "RESPONSE ", "with ", "2 ", "tools] ", "Echo: ", "Tell ", "me  ", "a ", "story"]
    assert "".join(pieces) == await service.get_completion("Tell me  a story", tools=TOOLS)


async def test_mock_sends_nothing_and_needs_no_model(upstream: Upstream, env: pytest.MonkeyPatch) -> None:
    env.setenv("LLM_USE_MOCK", "1")
    env.setenv("LLM_DEFAULT_MODEL", "openai/gpt-4o")
    service = LlmService({"mock_delay": 0})
    assert await service.get_completion("Hi") == "[MOCK LLM RESPONSE] Echo: Hi"
    assert upstream.seen == []


# --- router configuration ----------------------------------------------------------------------


async def test_router_config_names_deployments_and_groups(upstream: Upstream, env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text(f"""
[router]
strategy = "primary"
max_retries = 1

[[deployments]]
name = "main"
group = "smart"
api_key_env = "MAIN_KEY"
settings = {{ apiProvider = "openai", openAiBaseUrl = "{upstream.base_url}/main/v1", openAiModelId = "gpt-4o" }}

[[deployments]]
name = "backup"
group = "smart"
settings = {{ apiProvider = "anthropic", anthropicBaseUrl = "{upstream.base_url}/backup", apiKey = "sk-ant-test" }}
""")
    env.setenv("LLM_ROUTER_CONFIG", str(config))
    env.setenv("MAIN_KEY", "sk-main-test")
    env.setenv("LLM_DEFAULT_MODEL", "smart")
    upstream.route("/main/", DENIED)
    upstream.route("/backup/", ok("anthropic"), ok("anthropic"))
    service = LlmService({"sdk_retries": False})
    assert await service.get_completion("Hi") == "".join(TEXTS)  # main refused: failed over within the group
    assert [p async for p in service.get_streaming_completion("Hi", model="backup")] == TEXTS
    assert [seen.path.split("/")[1] for seen in upstream.seen] == ["main", "backup", "backup"]


async def test_router_config_error_is_typed(upstream: Upstream, env: pytest.MonkeyPatch) -> None:
    config = {"deployments": [{"name": "only", "settings": {
        "apiProvider": "openai", "openAiBaseUrl": f"{upstream.base_url}/v1", "openAiModelId": "gpt-4o", "openAiApiKey": "sk-x"}}],
        "router": {"max_retries": 0}}
    upstream.reply(DENIED)
    service = LlmService({"router_config": config})
    with pytest.raises(LLMAuthenticationError) as caught:
        await service.get_completion("Hi", model="only")
    assert caught.value.status == 401 and caught.value.provider == "openai"
    assert str(caught.value) == "OpenAI completion error: 401 Incorrect API key provided: sk-proj-****0000."


# --- timeouts and errors -----------------------------------------------------------------------


async def test_timeout_bounds_the_whole_call(upstream: Upstream, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # every chunk comes within 0.15 s, the whole answer would take 0.9 s
    use_wire(monkeypatch, upstream, "openai", tmp_path)
    monkeypatch.setenv("LLM_TIMEOUT", "0.4")
    slow = ok("openai", 5)
    slow.delay_ms = 150
    upstream.reply(slow)
    pieces: list[str] = []
    started = time.monotonic()
    with pytest.raises(LLMTimeoutError) as caught:
        async for piece in LlmService().get_streaming_completion("Hi"):
            pieces.append(piece)
    assert 0.35 < time.monotonic() - started < 0.8
    assert 0 < len(pieces) < 5
    assert str(caught.value) == "no complete answer from openai/gpt-4o within 0.4 s"
    assert isinstance(caught.value.__cause__, TimeoutError)
    await asyncio.wait_for(upstream.idle(), 2)  # the connection was released


async def test_errors_as_text(upstream: Upstream, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_wire(monkeypatch, upstream, "openai", tmp_path)
    monkeypatch.setenv("LLM_ERRORS", "text")
    upstream.reply(DENIED, DENIED)
    service = LlmService()
    expected = "Error processing request: OpenAI completion error: 401 Incorrect API key provided: sk-proj-****0000."
    assert await service.get_completion("Hi") == expected
    assert [p async for p in service.get_streaming_completion("Hi")] == [expected]


async def test_errors_raised_by_default(upstream: Upstream, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_wire(monkeypatch, upstream, "openai", tmp_path)
    upstream.reply(DENIED)
    with pytest.raises(LLMAuthenticationError):
        await LlmService().get_completion("Hi")  # a 401 is not retried by the SDK


def test_config_is_checked(env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="unknown LlmService config keys"):
        LlmService({"default-model": "openai/gpt-4o"})
    with pytest.raises(ValueError, match="errors"):
        LlmService({"errors": "log"})
    env.setenv("LLM_USE_MOCK", "perhaps")
    with pytest.raises(ValueError, match="use_mock"):
        LlmService()


def test_config_wins_over_the_environment(env: pytest.MonkeyPatch) -> None:
    env.setenv("LLM_DEFAULT_MODEL", "openai/gpt-4o")
    env.setenv("LLM_TIMEOUT", "30")
    service = LlmService({"default_model": "anthropic/claude-sonnet-4-5"})
    assert (service.default_model, service.timeout, service.use_mock, service.errors) == (
        "anthropic/claude-sonnet-4-5", 30.0, False, "raise")
    assert LlmService({"timeout": 0}).timeout is None


# --- one per process ---------------------------------------------------------------------------


def test_get_llm_service_is_one_per_process(env: pytest.MonkeyPatch) -> None:
    env.setattr(gateway.service, "_service", None)
    env.setenv("LLM_DEFAULT_MODEL", "gemini/gemini-2.5-pro")
    seen: list[LlmService] = []
    barrier = threading.Barrier(8)

    def get() -> None:
        barrier.wait()
        seen.append(get_llm_service())

    threads = [threading.Thread(target=get) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(s) for s in seen}) == 1 and seen[0] is get_llm_service()
    assert seen[0].default_model == "gemini/gemini-2.5-pro"
