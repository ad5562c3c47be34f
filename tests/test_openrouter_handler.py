"""OpenRouterHandler beyond the recorded scenarios, through the loopback fixture server.

Each case is read off the reference at cb83656 (``src/api/providers/openrouter.ts``,
``fetchers/modelCache.ts``, ``fetchers/modelEndpointCache.ts``, ``fetchers/openrouter.ts``,
``transform/caching/gemini.ts``, ``transform/openai-format.ts``, ``transform/r1-format.ts``,
``transform/mistral-format.ts``, ``utils/router-tool-preferences.ts``); the docstrings cite the
lines. The model list is the recorded scenarios' own.
"""

from __future__ import annotations

import asyncio
from typing import Any

from loopback import SYSTEM
from syrupy.assertion import SnapshotAssertion
from test_openrouter_support import (  # noqa: F401  (fresh_caches: an autouse fixture)
    MODELS_URL,
    SAMPLE_KEY,
    delta_chunk,
    fresh_caches,
    json_entry,
    recorded_models,
    recorded_models_entry,
    run,
    sse_entry,
    usage_chunk,
)

import providers
from parity.tls import TLSFiles
from providers.types.openrouter import OPEN_ROUTER_DEFAULT_MODEL_INFO
from providers.utils.native_tool_call_parser import NativeToolCallParser

SONNET = "anthropic/claude-sonnet-4.5"
ENDPOINTS_URL = f"https://openrouter.ai/api/v1/models/{SONNET}/endpoints"


def text_stream(text: str = "Hi.") -> dict[str, Any]:
    return sse_entry(
        delta_chunk({"role": "assistant", "content": text}),
        delta_chunk({"role": "assistant", "content": ""}, "stop"),
        usage_chunk(prompt_tokens=10, completion_tokens=2, cost=0.0001),
    )


def sonnet_endpoints(**spec: Any) -> dict[str, Any]:
    """``GET …/models/anthropic/claude-sonnet-4.5/endpoints``: two providers, one of them tagged."""
    body = {
        "data": {
            "id": SONNET,
            "name": "Anthropic: Claude Sonnet 4.5",
            "architecture": {"input_modalities": ["text", "image"], "output_modalities": ["text"], "tokenizer": "Claude"},
            "endpoints": [
                {
                    "name": "Anthropic | anthropic/claude-sonnet-4.5",
                    "provider_name": "Anthropic",
                    "tag": "anthropic",
                    "context_length": 200000,
                    "max_completion_tokens": 32000,
                    "pricing": {"prompt": "0.000003", "completion": "0.000015", "input_cache_write": "0.00000375", "input_cache_read": "0.0000003"},
                },
                {
                    "name": "Google | anthropic/claude-sonnet-4.5",
                    "provider_name": "Google",
                    "context_length": 1000000,
                    "max_completion_tokens": 64000,
                    "pricing": {"prompt": "0.000003", "completion": "0.000015"},
                },
            ],
        }
    }
    return json_entry(body, match={"method": "GET", "url_regex": "/endpoints$"}, **spec)


# --- model list and endpoints ----------------------------------------------------------------------


async def test_specific_provider_routes_to_its_endpoint(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """openrouter.ts:153-164 and :575-588: the constructor and createMessage each run
    ``Promise.all([getModels, getModelEndpoints])``; with an empty cache that is two model list and
    two endpoint requests (the endpoints answer last here, so modelEndpointCache.ts:59-61's
    ``getModels`` finds the list cached). modelEndpointCache.ts:54-72: endpoints are keyed by
    ``tag ?? provider_name`` and take ``supportsReasoningEffort`` / ``supportedParameters`` from
    the parent model. getModel (:591-598) uses the chosen endpoint's info; createMessage
    (:309-317) routes to that provider only, without fallbacks."""
    outcome = await run(
        tls_files,
        [recorded_models_entry(), sonnet_endpoints(times=4, headers_delay_ms=60), text_stream()],
        openRouterSpecificProvider="anthropic",
    )
    assert outcome.error is None
    assert outcome.gets() == [MODELS_URL, MODELS_URL, ENDPOINTS_URL, ENDPOINTS_URL]
    body = outcome.body()
    assert body["provider"] == {"order": ["anthropic"], "only": ["anthropic"], "allow_fallbacks": False}
    info = outcome.handler.get_model()["info"]
    assert set(outcome.handler.endpoints) == {"anthropic", "Google"}
    parent = next(m for m in recorded_models() if m["id"] == SONNET)
    assert info["contextWindow"] == 200000 != parent["context_length"]
    assert info["supportsReasoningEffort"] is True
    assert info["supportedParameters"] == ["include_reasoning", "max_tokens", "reasoning", "temperature"]
    assert outcome.post_view() == snapshot


async def test_default_provider_fetches_endpoints_but_does_not_route(tls_files: TLSFiles) -> None:
    """openrouter.ts:309-317: ``[default]`` (OPENROUTER_DEFAULT_PROVIDER_NAME) sends no
    ``provider``; modelEndpointCache.ts:47 still fetches the endpoints (the name is truthy), and
    getModel finds no endpoint under that name, so the model list's info stays."""
    outcome = await run(
        tls_files,
        [recorded_models_entry(), sonnet_endpoints(times=4, headers_delay_ms=60), text_stream()],
        openRouterSpecificProvider="[default]",
    )
    assert outcome.gets() == [MODELS_URL, MODELS_URL, ENDPOINTS_URL, ENDPOINTS_URL]
    assert "provider" not in outcome.body()
    assert outcome.handler.get_model()["info"]["contextWindow"] == 1000000


async def test_failed_model_list_falls_back_to_the_default_model_info(tls_files: TLSFiles) -> None:
    """fetchers/openrouter.ts:136-140: a failed fetch is logged and yields ``{}`` (axios does not
    retry); modelCache.ts:145-150 caches nothing empty, so the constructor's load and
    createMessage each ask once; getModel (:592) falls back to openRouterDefaultModelInfo and the
    completion request still goes out."""
    outcome = await run(
        tls_files,
        [json_entry({"error": "down"}, status=503, match={"method": "GET"}, times=6), text_stream()],
    )
    assert outcome.error is None
    assert outcome.gets() == [MODELS_URL, MODELS_URL]
    assert outcome.handler.models == {}
    assert outcome.handler.get_model()["info"] is OPEN_ROUTER_DEFAULT_MODEL_INFO
    assert outcome.chunks[0] == {"type": "text", "text": "Hi."}


async def test_model_list_that_is_not_json_falls_back(tls_files: TLSFiles) -> None:
    """axios keeps a body that does not parse as text (defaults/index.js transformResponse);
    ``response.data.data`` is then undefined and iterating it throws, which getOpenRouterModels
    logs (:136-140): the default model info again."""
    html = {"status": 200, "headers": {"content-type": "text/html"}, "body_chunks": ["<html>maintenance</html>"], "match": {"method": "GET"}, "times": 6}
    outcome = await run(tls_files, [html, text_stream()])
    assert outcome.gets() == [MODELS_URL, MODELS_URL]
    assert outcome.handler.get_model()["info"] is OPEN_ROUTER_DEFAULT_MODEL_INFO


def test_built_outside_an_event_loop_loads_models_on_first_use(tls_files: TLSFiles) -> None:
    """The reference starts loadDynamicModels in the constructor (openrouter.ts:147-150); a
    handler built with no running event loop starts it with its first call, so the requests are
    the same: two model list fetches, then the completion (at the default base URL, a
    hard-coded host like the model list's)."""
    handler = providers.build_api_handler({"apiProvider": "openrouter", "openRouterApiKey": SAMPLE_KEY})
    assert handler.get_model()["id"] == SONNET  # openRouterDefaultModelId
    outcome = asyncio.run(run(tls_files, [recorded_models_entry(), text_stream()], handler=handler))
    assert outcome.error is None
    assert outcome.gets() == [MODELS_URL, MODELS_URL]
    assert [r["original_url"] for r in outcome.posts()] == ["https://openrouter.ai/api/v1/chat/completions"]


# --- createMessage ---------------------------------------------------------------------------------


async def test_gemini_cache_breakpoints_and_thought_signatures(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """openrouter.ts:259-298: for google/gemini models, sanitizeGeminiMessages drops tool calls
    without matching reasoning_details (and their results, openai-format.ts), then each surviving
    assistant tool call message without an encrypted block gets ONE ``reasoning.encrypted``
    placeholder (first tool call's id, ``skip_thought_signature_validator``). :302-308 with
    caching/gemini.ts: google/gemini-2.5-flash (OPEN_ROUTER_PROMPT_CACHING_MODELS) caches the
    system prompt and every 10th user message's last text part (string contents become text
    parts first)."""
    messages: list[dict[str, Any]] = []
    for n in range(1, 10):
        messages.append({"role": "user", "content": f"Question {n}"})
        messages.append({"role": "assistant", "content": f"Answer {n}"})
    messages += [
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Reading."},
                {"type": "tool_use", "id": "call_kept", "name": "read_file", "input": {"path": "a.txt"}},
            ],
            "reasoning_details": [{"type": "reasoning.text", "text": "Need a.txt.", "id": "call_kept", "format": "google-gemini-v1", "index": 0}],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_kept", "content": "A"}, {"type": "text", "text": "Question 10"}]},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "call_dropped", "name": "read_file", "input": {"path": "b.txt"}}],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_dropped", "content": "B"}, {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}]},
    ]
    outcome = await run(tls_files, [recorded_models_entry(), text_stream()], model_id="google/gemini-2.5-flash", messages=messages)
    assert outcome.error is None
    body = outcome.body()
    assert body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}
    marked = [m for m in body["messages"] if m["role"] == "user" and any("cache_control" in p for p in m["content"])]
    assert [m["content"][-1]["text"] for m in marked] == ["Question 10"]
    assert "call_dropped" not in str(body)
    assert outcome.post_view() == snapshot


async def test_gemini_2_5_pro_preview_excludes_unrequested_reasoning(tls_files: TLSFiles) -> None:
    """openrouter.ts:229-234: OpenRouter sends Gemini 2.5 Pro's reasoning unasked, so without
    configured reasoning the request says ``reasoning: {exclude: true}``; no x-anthropic-beta
    header for a non-anthropic/ model (:325-328)."""
    outcome = await run(tls_files, [recorded_models_entry(), text_stream()], model_id="google/gemini-2.5-pro-preview")
    body = outcome.body()
    assert body["reasoning"] == {"exclude": True}
    assert list(body)[-1] == "reasoning"
    assert "x-anthropic-beta" not in outcome.posts()[0]["headers"]


async def test_deepseek_r1_user_role_temperature_and_top_p(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """openrouter.ts:249-251: deepseek/deepseek-r1 gets convertToR1Format with the system prompt
    as the first user message (consecutive user messages merged); getModel (:600-610): topP 0.95
    and DEEP_SEEK_DEFAULT_TEMPERATURE (0.3) as the default temperature."""
    outcome = await run(tls_files, [recorded_models_entry(), text_stream()], model_id="deepseek/deepseek-r1")
    body = outcome.body()
    assert body["messages"][0] == {"role": "user", "content": f"{SYSTEM}\nSay hello."}
    assert (body["temperature"], body["top_p"]) == (0.3, 0.95)
    assert outcome.post_view() == snapshot


async def test_mistral_tool_call_ids_are_normalised(tls_files: TLSFiles) -> None:
    """openrouter.ts:238-246 with mistral-format.ts:18-29: for a model id containing "mistral",
    tool call ids and tool result ids become 9 alphanumeric characters (cut, or zero-padded)."""
    messages = [
        {"role": "user", "content": "Read it."},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "call_5019f900a247472b", "name": "read_file", "input": {}}, {"type": "tool_use", "id": "t-1", "name": "read_file", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_5019f900a247472b", "content": "x"}, {"type": "tool_result", "tool_use_id": "t-1", "content": "y"}]},
    ]
    outcome = await run(tls_files, [recorded_models_entry(), text_stream()], model_id="mistralai/mistral-large", messages=messages)
    body = outcome.body()
    assert [c["id"] for c in body["messages"][2]["tool_calls"]] == ["call5019f", "t10000000"]
    assert [m["tool_call_id"] for m in body["messages"][3:5]] == ["call5019f", "t10000000"]


async def test_openai_models_prefer_apply_patch(tls_files: TLSFiles) -> None:
    """router-tool-preferences.ts:17-29 (getModel, openrouter.ts:601): an openai model id gets
    apply_diff and write_to_file excluded, apply_patch included."""
    outcome = await run(tls_files, [recorded_models_entry(), text_stream()], model_id="openai/gpt-5")
    info = outcome.handler.get_model()["info"]
    assert (info["excludedTools"], info["includedTools"]) == (["apply_diff", "write_to_file"], ["apply_patch"])
    assert info["contextWindow"] == 400000


async def test_reasoning_summaries_and_encrypted_details(tls_files: TLSFiles) -> None:
    """openrouter.ts:391-459: reasoning.summary deltas are shown (reasoning.encrypted is not),
    and then the top-level ``reasoning`` field is not; after the stream the details are
    accumulated per type and index and consolidated (getReasoningDetails, :488-493)."""
    stream = sse_entry(
        delta_chunk({"reasoning": "Plan", "reasoning_details": [{"type": "reasoning.summary", "summary": "Plan", "format": "openai-responses-v1", "index": 0}]}),
        delta_chunk({"reasoning": " it.", "reasoning_details": [{"type": "reasoning.summary", "summary": " it.", "index": 0}]}),
        delta_chunk({"reasoning_details": [{"type": "reasoning.encrypted", "data": "gAAAAB", "id": "rs_1", "format": "openai-responses-v1", "index": 1}]}),
        delta_chunk({"content": "Done."}, "stop"),
        usage_chunk(prompt_tokens=5, completion_tokens=7, completion_tokens_details={"reasoning_tokens": 4}, cost=0.001),
    )
    outcome = await run(tls_files, [recorded_models_entry(), stream], model_id="openai/gpt-5")
    assert outcome.chunks == [
        {"type": "reasoning", "text": "Plan"},
        {"type": "reasoning", "text": " it."},
        {"type": "text", "text": "Done."},
        {"type": "usage", "inputTokens": 5, "outputTokens": 7, "reasoningTokens": 4, "totalCost": 0.001},
    ]
    assert outcome.handler.get_reasoning_details() == [
        {"type": "reasoning.summary", "summary": "Plan it.", "format": "openai-responses-v1", "index": 0},
        {"type": "reasoning.encrypted", "data": "gAAAAB", "id": "rs_1", "format": "openai-responses-v1", "index": 1},
    ]


async def test_top_level_reasoning_without_details(tls_files: TLSFiles) -> None:
    """openrouter.ts:455-459: without reasoning_details the top-level ``reasoning`` string is
    shown; getReasoningDetails is undefined when nothing was accumulated."""
    stream = sse_entry(delta_chunk({"reasoning": "Hmm."}), delta_chunk({"content": "Ok."}, "stop"))
    outcome = await run(tls_files, [recorded_models_entry(), stream], model_id="deepseek/deepseek-r1")
    assert outcome.chunks == [{"type": "reasoning", "text": "Hmm."}, {"type": "text", "text": "Ok."}]
    assert outcome.handler.get_reasoning_details() is None


async def test_byok_usage_adds_the_upstream_cost(tls_files: TLSFiles) -> None:
    """openrouter.ts:495-503: totalCost is ``cost_details.upstream_inference_cost`` plus
    ``cost``; cacheReadTokens and reasoningTokens only where the usage has them."""
    stream = sse_entry(delta_chunk({"content": "x"}, "stop"), usage_chunk(prompt_tokens=100, completion_tokens=20, cost=0.0001, cost_details={"upstream_inference_cost": 0.0025}))
    outcome = await run(tls_files, [recorded_models_entry(), stream])
    assert outcome.chunks[-1] == {"type": "usage", "inputTokens": 100, "outputTokens": 20, "totalCost": 0.0025 + 0.0001}


async def test_tool_calls_end_when_the_task_loop_tracks_them(tls_files: TLSFiles) -> None:
    """openrouter.ts:466-475 with NativeToolCallParser.processFinishReason: finish_reason
    ``tool_calls`` ends every tool call the (static) raw chunk tracker holds. The task loop fills
    it with processRawChunk; the provider layer alone never does (the recorded scenario yields
    no end events)."""
    NativeToolCallParser.process_raw_chunk({"type": "tool_call_partial", "index": 0, "id": "call_1", "name": "read_file"})
    try:
        stream = sse_entry(delta_chunk({"content": None}, "tool_calls"))
        outcome = await run(tls_files, [recorded_models_entry(), stream])
    finally:
        NativeToolCallParser.clear_raw_chunk_state()
    assert outcome.chunks == [{"type": "tool_call_end", "id": "call_1"}]


async def test_metadata_tools_and_tool_choice(tls_files: TLSFiles) -> None:
    """openrouter.ts:318-319: tools through convertToolsForOpenAI (strict), tool_choice as given."""
    tools = [{"type": "function", "function": {"name": "attempt_completion", "parameters": {"type": "object", "properties": {"result": {"type": "string"}}}}}]
    outcome = await run(tls_files, [recorded_models_entry(), text_stream()], metadata={"taskId": "t", "tools": tools, "tool_choice": "required"})
    body = outcome.body()
    assert list(body)[-2:] == ["tools", "tool_choice"]
    assert body["tools"][0]["function"]["strict"] is True
    assert body["tool_choice"] == "required"


# --- completePrompt --------------------------------------------------------------------------------


async def test_complete_prompt_error_in_body(tls_files: TLSFiles) -> None:
    """openrouter.ts:681-683 with handleStreamingError (:200-215) and extractErrorFromMetadataRaw
    (:92-121): an ``error`` object in a 200 response throws ``OpenRouter API Error <code>:
    <message>``, the message taken from ``metadata.raw`` (here its ``error.message``)."""
    body = {"error": {"code": 502, "message": "Provider returned error", "metadata": {"raw": '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'}}}
    outcome = await run(tls_files, [recorded_models_entry(), json_entry(body, match={"method": "POST"})], prompt="Hi")
    assert outcome.error is not None
    assert (type(outcome.error).__name__, str(outcome.error)) == ("JSError", "OpenRouter API Error 502: Overloaded")
    assert outcome.error.status is None


async def test_complete_prompt_error_without_code_or_raw(tls_files: TLSFiles) -> None:
    """handleStreamingError: no ``metadata.raw`` falls back to ``message``; a missing code
    reads ``undefined`` in the template literal."""
    outcome = await run(tls_files, [recorded_models_entry(), json_entry({"error": {"message": "Nope"}}, match={"method": "POST"})], prompt="Hi")
    assert str(outcome.error) == "OpenRouter API Error undefined: Nope"


async def test_complete_prompt_with_specific_provider_and_reasoning(tls_files: TLSFiles) -> None:
    """openrouter.ts:614-640: max_tokens, temperature, the user prompt, ``stream: false``, then
    provider routing and reasoning; the anthropic beta header for anthropic/ models."""
    reply = json_entry({"choices": [{"message": {"role": "assistant", "content": "pong"}}]}, match={"method": "POST"})
    outcome = await run(
        tls_files,
        [recorded_models_entry(), sonnet_endpoints(times=4, headers_delay_ms=60), reply],
        prompt="ping",
        openRouterSpecificProvider="anthropic",
        enableReasoningEffort=True,
        modelMaxThinkingTokens=4096,
    )
    assert outcome.result == "pong"
    body = outcome.body()
    assert list(body) == ["model", "max_tokens", "temperature", "messages", "stream", "provider", "reasoning"]
    assert (body["temperature"], body["reasoning"]) == (1.0, {"max_tokens": 4096})
    assert outcome.posts()[0]["headers"]["x-anthropic-beta"] == "fine-grained-tool-streaming-2025-05-14"


async def test_concurrent_handlers_share_the_cached_list(tls_files: TLSFiles) -> None:
    """modelCache.ts:138-152: once a list is cached, getModels answers from memory for 5
    minutes, so a second handler's calls send only the completion."""
    await run(tls_files, [recorded_models_entry(), text_stream()])
    outcome = await run(tls_files, [recorded_models_entry(), text_stream()])
    assert outcome.gets() == []
    assert len(outcome.posts()) == 1
    await asyncio.sleep(0)


async def test_null_error_in_a_chunk_reaches_the_handler(tls_files: TLSFiles) -> None:
    """openai-node's Stream throws only for a truthy ``error`` (core/streaming.js), so a chunk
    with ``"error": null`` reaches openrouter.ts:381-384 (``"error" in chunk``) and
    handleStreamingError: no code, no message."""
    stream = sse_entry(delta_chunk({"content": "Hi"}), {"error": None, "choices": []})
    outcome = await run(tls_files, [recorded_models_entry(), stream])
    assert outcome.chunks == [{"type": "text", "text": "Hi"}]
    assert str(outcome.error) == "OpenRouter API Error undefined: Unknown error"
