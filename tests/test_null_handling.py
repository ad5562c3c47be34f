"""``null``, missing fields and odd types in upstream data, read with JavaScript's rules.

Expected values were recorded from Node 20 oracles: the reference's own
``fetchers/openrouter.ts`` and ``transform/model-params.ts`` / ``shared/api.ts`` bundled with
esbuild at cb83656 (``getOpenRouterModels`` against a local server, ``getModelParams``), and V8
running anthropic.ts's ``const { input_tokens = 0, … } = chunk.message.usage`` and
``chunk.usage.output_tokens`` on events without ``usage``.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from loopback import SYSTEM, Reply, Upstream, collect, sample_service_account
from test_anthropic_support import Reply as AnthropicReply
from test_anthropic_support import block_delta, block_start, block_stop, message_end, message_start
from test_openrouter_support import (  # noqa: F401  (fresh_caches: an autouse fixture)
    delta_chunk,
    fresh_caches,
    json_entry,
    run,
    sse_entry,
    usage_chunk,
)

from parity.tls import TLSFiles
from providers import build_api_handler
from providers.fetchers.openrouter import get_open_router_models
from providers.js.errors import JSError, JSTypeError
from providers.js.jsonjs import dumps
from providers.transform.model_params import get_model_params

HELLO = [{"role": "user", "content": "Say hello."}]

# --- OpenRouter's model list -----------------------------------------------------------------------

MALFORMED_MODELS: list[dict[str, Any]] = [
    {"id": "a/null-context", "name": "A", "context_length": None, "pricing": {"prompt": "0.000001", "completion": "0.000002"}, "top_provider": {"max_completion_tokens": None}, "architecture": {"input_modalities": ["text"], "output_modalities": ["text"]}, "supported_parameters": ["tools"]},
    {"id": "b/nulls", "name": None, "description": None, "context_length": 1000, "pricing": None, "architecture": None, "top_provider": None, "supported_parameters": None},
    {"id": "c/no-context", "name": "C"},
    {"id": "d/string-context", "name": "D", "context_length": "4096", "architecture": {"input_modalities": None, "output_modalities": None}, "pricing": {"prompt": None, "completion": 0, "input_cache_read": None, "input_cache_write": "0"}},
    {"id": None, "name": "N", "context_length": 10},
    {"id": "e/bad-prices", "name": "E", "context_length": 100, "pricing": {"prompt": "abc", "completion": "1e-6", "input_cache_read": "0.0000001"}},
    {"id": "f/string-output", "name": "F", "context_length": 100, "architecture": {"output_modalities": "text+image"}},
    {"id": "g/string-input", "name": "G", "context_length": 100, "architecture": {"input_modalities": "image"}, "supported_parameters": ""},
    {"id": "h/true-context", "name": "H", "context_length": True, "top_provider": {"max_completion_tokens": 0}},
    {"id": "deepseek/deepseek-r1", "name": "R1", "context_length": 163840, "top_provider": {"max_completion_tokens": 32768}, "supported_parameters": ["reasoning", "temperature"]},
]

# getOpenRouterModels on MALFORMED_MODELS, recorded from the bundled reference (NaN written as
# "NaN"; JSON.stringify leaves undefined properties out and keeps null ones)
RECORDED_MODELS: dict[str, Any] = {
    "a/null-context": {"maxTokens": 0, "contextWindow": None, "supportsImages": False, "supportsPromptCache": False, "inputPrice": 1, "outputPrice": 2, "supportsReasoningEffort": False, "supportedParameters": []},
    "b/nulls": {"maxTokens": 200, "contextWindow": 1000, "supportsImages": False, "supportsPromptCache": False, "description": None},
    "c/no-context": {"maxTokens": "NaN", "supportsImages": False, "supportsPromptCache": False, "supportsReasoningEffort": False, "supportedParameters": []},
    "d/string-context": {"maxTokens": 820, "contextWindow": "4096", "supportsImages": False, "supportsPromptCache": False, "cacheWritesPrice": 0, "supportsReasoningEffort": False, "supportedParameters": []},
    "null": {"maxTokens": 2, "contextWindow": 10, "supportsImages": False, "supportsPromptCache": False, "supportsReasoningEffort": False, "supportedParameters": []},
    "e/bad-prices": {"maxTokens": 20, "contextWindow": 100, "supportsImages": False, "supportsPromptCache": True, "inputPrice": "NaN", "outputPrice": 1, "cacheReadsPrice": 0.09999999999999999, "supportsReasoningEffort": False, "supportedParameters": []},
    "g/string-input": {"maxTokens": 20, "contextWindow": 100, "supportsImages": True, "supportsPromptCache": False},
    "h/true-context": {"maxTokens": 1, "contextWindow": True, "supportsImages": False, "supportsPromptCache": False, "supportsReasoningEffort": False, "supportedParameters": []},
    "deepseek/deepseek-r1": {"maxTokens": 32768, "contextWindow": 163840, "supportsImages": False, "supportsPromptCache": False, "supportsReasoningEffort": True, "supportedParameters": ["reasoning", "temperature"]},
}


def nan_as_text(value: Any) -> Any:
    """``value`` with every NaN written "NaN" (as the oracle printed it)."""
    if isinstance(value, dict):
        return {key: nan_as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [nan_as_text(item) for item in value]
    return "NaN" if isinstance(value, float) and math.isnan(value) else value


async def test_malformed_model_list_reads_as_the_reference_reads_it(upstream: Upstream) -> None:
    """A null ``context_length`` is ``Math.ceil(null * 0.2) = 0`` and stays ``contextWindow: null``;
    a missing one is NaN and left out; a null ``description`` is kept; a null id is the key "null";
    string modalities use ``String.prototype.includes`` (``"text+image"`` outputs images, so it is
    left out); every model after the odd ones is still read (keys and their order included)."""
    upstream.route("/models", Reply.json({"data": MALFORMED_MODELS}))
    models = await get_open_router_models({"openRouterBaseUrl": f"{upstream.base_url}/api/v1"})
    # as JSON.stringify writes it: key order, and 1 for a price of 1.0
    assert dumps(nan_as_text(models)) == json.dumps(RECORDED_MODELS, separators=(",", ":"))


async def test_a_null_context_length_does_not_drop_later_models(tls_files: TLSFiles) -> None:
    """The issue's case: one model with ``context_length: null`` before deepseek/deepseek-r1; the
    reference keeps reading, so deepseek-r1 is sent its own max_tokens 32768 (8192, the default
    model info's, if the list were dropped)."""
    entry = json_entry({"data": MALFORMED_MODELS[:1] + MALFORMED_MODELS[-1:]}, match={"method": "GET"}, times=2)
    stream = sse_entry(delta_chunk({"content": "Hi"}), usage_chunk(prompt_tokens=1, completion_tokens=1))
    outcome = await run(tls_files, [entry, stream], model_id="deepseek/deepseek-r1")
    assert outcome.error is None
    assert outcome.body()["max_tokens"] == 32768


def test_null_context_window_clamps_max_tokens_to_zero() -> None:
    """shared/api.ts getModelMaxOutputTokens: ``Math.min(500, Math.ceil(null * 0.2))`` is 0
    (oracle: ``{"format":"openrouter","maxTokens":0,"temperature":0}``); a missing context window
    gives NaN (oracle: null in JSON)."""
    params = get_model_params(
        format="openrouter", model_id="x/y", model={"maxTokens": 500, "contextWindow": None, "supportsPromptCache": False},
        settings={}, default_temperature=0,
    )
    assert params == {"format": "openrouter", "maxTokens": 0, "temperature": 0}
    missing = get_model_params(
        format="openrouter", model_id="x/y", model={"maxTokens": 500, "supportsPromptCache": False},
        settings={}, default_temperature=0,
    )
    assert math.isnan(missing["maxTokens"])


# --- Anthropic-compatible streams ----------------------------------------------------------------


def anthropic_settings(upstream: Upstream) -> dict[str, Any]:
    return {"apiProvider": "anthropic", "apiModelId": "claude-sonnet-4-5", "apiKey": "sk-ant-test-null", "anthropicBaseUrl": upstream.base_url}


def vertex_settings() -> dict[str, Any]:
    return {
        "apiProvider": "vertex",
        "apiModelId": "claude-sonnet-4-5@20250929",
        "vertexProjectId": "sample-project",
        "vertexRegion": "us-east5",
        "vertexJsonCredentials": json.dumps(sample_service_account()),
    }


def without_usage(event: dict[str, Any], where: str) -> dict[str, Any]:
    event = json.loads(json.dumps(event))
    (event["message"] if where == "message" else event).pop("usage")
    return event


async def stream_error(upstream: Upstream, settings: dict[str, Any], route: str, reply: Reply) -> tuple[list[dict[str, Any]], JSError]:
    upstream.route(route, reply)
    handler = build_api_handler(settings)
    chunks: list[dict[str, Any]] = []
    with pytest.raises(JSError) as caught:
        async for chunk in handler.create_message(SYSTEM, HELLO):
            chunks.append(chunk)
    return chunks, caught.value


@pytest.mark.parametrize("provider", ["anthropic", "vertex"])
async def test_message_start_without_usage(upstream: Upstream, provider: str) -> None:
    """anthropic.ts ``const {input_tokens = 0, …} = chunk.message.usage`` / anthropic-vertex.ts
    ``usage.input_tokens``: V8's TypeError (oracle), out of createMessage as it is."""
    reply = AnthropicReply.sse(without_usage(message_start(), "message"), *message_end())
    if provider == "vertex":
        upstream.token()
        chunks, error = await stream_error(upstream, vertex_settings(), ":streamRawPredict", reply)
    else:
        chunks, error = await stream_error(upstream, anthropic_settings(upstream), "/v1/messages", reply)
    assert chunks == []
    assert isinstance(error, JSTypeError)
    assert error.message == "Cannot read properties of undefined (reading 'input_tokens')"


async def test_message_delta_without_usage(upstream: Upstream) -> None:
    """anthropic.ts ``chunk.usage.output_tokens || 0`` (oracle: "Cannot read properties of
    undefined (reading 'output_tokens')"), after the chunks before it."""
    end = message_end()
    reply = AnthropicReply.sse(message_start(), block_start(0, {"type": "text", "text": "Hi"}), without_usage(end[0], "event"), end[1])
    chunks, error = await stream_error(upstream, anthropic_settings(upstream), "/v1/messages", reply)
    assert chunks == [{"type": "usage", "inputTokens": 10, "outputTokens": 1}, {"type": "text", "text": "Hi"}]
    assert isinstance(error, JSTypeError)
    assert error.message == "Cannot read properties of undefined (reading 'output_tokens')"


async def test_message_start_with_null_usage_fields(upstream: Upstream) -> None:
    """A default applies to undefined only: ``input_tokens: null`` is yielded as null and adds 0."""
    start = message_start()
    start["message"]["usage"] = {"input_tokens": None, "output_tokens": 3}
    upstream.route("/v1/messages", AnthropicReply.sse(start, *message_end(output_tokens=4)))
    chunks = await collect(build_api_handler(anthropic_settings(upstream)).create_message(SYSTEM, HELLO))
    assert chunks[0] == {"type": "usage", "inputTokens": None, "outputTokens": 3}


@pytest.mark.parametrize("index", [None, "1", True])
async def test_content_block_start_index_compares_as_a_number(upstream: Upstream, index: Any) -> None:
    """``chunk.index > 0``: null is 0 (no line break, the text as is); "1" and true are 1."""
    start = block_start(0, {"type": "text", "text": "Hi"})
    start["index"] = index
    upstream.route("/v1/messages", AnthropicReply.sse(message_start(), start, block_delta(0, {"type": "text_delta", "text": "!"}), block_stop(0), *message_end()))
    chunks = await collect(build_api_handler(anthropic_settings(upstream)).create_message(SYSTEM, HELLO))
    texts = [c["text"] for c in chunks if c["type"] == "text"]
    assert texts == (["Hi", "!"] if index is None else ["\n", "Hi", "!"])


async def test_null_event_reads_type_of_null(upstream: Upstream) -> None:
    """``data: null`` for a message_start event: ``switch (chunk.type)`` on null."""
    body = b"event: message_start\ndata: null\n\n"
    chunks, error = await stream_error(upstream, anthropic_settings(upstream), "/v1/messages", AnthropicReply(200, {"content-type": "text/event-stream"}, [body]))
    assert chunks == []
    assert error.message == "Cannot read properties of null (reading 'type')"
