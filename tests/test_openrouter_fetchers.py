"""OpenRouter's model list and endpoint fetchers, their caches, and the axios GET under them.

Read off the reference at cb83656 (``src/api/providers/fetchers/openrouter.ts``,
``modelCache.ts``, ``modelEndpointCache.ts``, ``src/api/providers/fetchers/__tests__/openrouter.spec.ts``)
and axios 1.12.0 (``lib/adapters/http.js``, ``lib/core/settle.js``, ``lib/defaults/index.js``)
with follow-redirects 1.15.11; the docstrings cite them. Prices were checked against Node's own
``parseFloat(p) * 1_000_000``.
"""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from test_openrouter_support import (  # noqa: F401  (fresh_caches: an autouse fixture)
    MODELS_URL,
    SCENARIOS,
    fresh_caches,
    json_entry,
    recorded_models,
    recorded_models_entry,
)

import providers
from parity.runner import serve
from parity.tls import TLSFiles
from providers.fetchers import model_cache, reset_caches, set_cache_directory
from providers.fetchers.model_cache import get_models, get_models_from_cache, refresh_models
from providers.fetchers.model_endpoint_cache import get_model_endpoints, sanitize_filename
from providers.fetchers.openrouter import get_open_router_model_endpoints, get_open_router_models, parse_open_router_model
from providers.sdk import axios
from providers.types.anthropic import ANTHROPIC_MODELS

GEMINI_PREVIEW = "google/gemini-2.5-pro-preview"


def gemini_endpoints(output_modalities: list[str] | None = None) -> dict[str, Any]:
    """The endpoints of the reference's own spec (openrouter.spec.ts:82-118)."""
    pricing = {"prompt": "0.00000125", "completion": "0.00001", "input_cache_write": "0.000001625", "input_cache_read": "0.00000031"}
    return {
        "data": {
            "id": GEMINI_PREVIEW,
            "name": "Gemini 2.5 Pro Preview",
            "architecture": {"input_modalities": ["text", "image"], "output_modalities": output_modalities or ["text"]},
            "endpoints": [
                {"provider_name": "Google Vertex", "tag": "google-vertex", "context_length": 1048576, "max_completion_tokens": 65535, "pricing": pricing},
                {"provider_name": "Google AI Studio", "tag": "google-ai-studio", "context_length": 1048576, "max_completion_tokens": 65536, "pricing": pricing},
            ],
        }
    }


# --- axios ---------------------------------------------------------------------------------------


async def test_axios_get_sends_what_the_reference_sent(tls_files: TLSFiles) -> None:
    """http.js:302-306 and :425-428 with defaults/index.js:151: Accept, User-Agent and
    Accept-Encoding exactly as the recorded model list request has them (Host and Connection
    belong to the transport)."""
    golden = json.loads((SCENARIOS / "text_stream_cost" / "golden.json").read_text(encoding="utf-8"))
    expected = {k: v for k, v in golden["requests"][0]["headers"].items() if k not in ("host", "connection")}
    async with serve(tls_files, [json_entry({"data": []})]) as server:
        response = await axios.get(MODELS_URL)
    sent = {k: v for k, v in server.requests[0]["headers"].items() if k not in ("host", "connection")}
    assert sent == expected
    assert server.requests[0]["original_url"] == MODELS_URL
    assert (response.status, response.data) == (200, {"data": []})


@pytest.mark.parametrize(("status", "code"), [(404, "ERR_BAD_REQUEST"), (503, "ERR_BAD_RESPONSE")])
async def test_axios_rejects_other_than_2xx(tls_files: TLSFiles, status: int, code: str) -> None:
    """settle.js:14-26: ``Request failed with status code N``, ERR_BAD_REQUEST for 4xx and
    ERR_BAD_RESPONSE for 5xx, with the response (its data parsed) attached."""
    async with serve(tls_files, [json_entry({"error": "x"}, status=status)]):
        with pytest.raises(axios.AxiosError) as caught:
            await axios.get(MODELS_URL)
    error = caught.value
    assert (error.message, error.code, error.status, error.name) == (f"Request failed with status code {status}", code, status, "AxiosError")
    assert error.response is not None and error.response.data == {"error": "x"}


async def test_axios_follows_redirects(tls_files: TLSFiles) -> None:
    """follow-redirects 1.15.11 (index.js:385-497): a 3xx with Location is followed with a GET
    (a relative Location against the current URL)."""
    moved = {"status": 302, "headers": {"location": "/api/v2/models"}, "body_chunks": [], "match": {"url_regex": "/v1/models$"}}
    async with serve(tls_files, [moved, json_entry({"data": []}, match={"url_regex": "/v2/models$"})]) as server:
        response = await axios.get(MODELS_URL)
    assert [r["original_url"] for r in server.requests] == [MODELS_URL, "https://openrouter.ai/api/v2/models"]
    assert response.data == {"data": []}


async def test_axios_keeps_a_body_that_is_not_json(tls_files: TLSFiles) -> None:
    """defaults/index.js transformResponse: silent JSON parsing keeps the text when it does not
    parse; http.js:606-611 strips a UTF-8 BOM before."""
    text = {"status": 200, "headers": {"content-type": "text/plain"}, "body_chunks": ["not json"]}
    bom = {"status": 200, "headers": {"content-type": "application/json"}, "body_chunks": ['\ufeff{"data":[]}']}
    async with serve(tls_files, [text, bom]):
        assert (await axios.get(MODELS_URL)).data == "not json"
        assert (await axios.get(MODELS_URL)).data == {"data": []}


async def test_axios_connection_refused() -> None:
    """http.js:625-629: a socket error rejects with Node's message and code."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    try:
        with pytest.raises(axios.AxiosError) as caught:
            await axios.get(f"http://127.0.0.1:{port}/api/v1/models")
    finally:
        await providers.aclose()
    assert (caught.value.message, caught.value.code) == (f"connect ECONNREFUSED 127.0.0.1:{port}", "ECONNREFUSED")


# --- fetchers/openrouter.ts ------------------------------------------------------------------------


async def test_recorded_model_list(tls_files: TLSFiles) -> None:
    """openrouter.ts:101-141 and parseOpenRouterModel (:186-272) on the recorded list: the
    image model is left out (:117-119); prices per million tokens; a cache read price means
    prompt caching; ``supported_parameters`` gives supportsReasoningEffort and the model
    parameters; the budget sets add their flags."""
    async with serve(tls_files, [recorded_models_entry()]):
        models = await get_open_router_models()
    assert list(models) == ["anthropic/claude-sonnet-4.5", "deepseek/deepseek-r1", "google/gemini-2.5-pro", "openai/gpt-5"]
    assert models["anthropic/claude-sonnet-4.5"] == {
        "maxTokens": 64000,
        "contextWindow": 1000000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "inputPrice": 3,
        "outputPrice": 15,
        "cacheWritesPrice": 3.75,
        "cacheReadsPrice": 0.3,
        "description": "Anthropic: Claude Sonnet 4.5 via OpenRouter.",
        "supportsReasoningEffort": True,
        "supportedParameters": ["include_reasoning", "max_tokens", "reasoning", "temperature"],
        "supportsReasoningBudget": True,
    }
    assert models["deepseek/deepseek-r1"]["inputPrice"] == 0.39999999999999997
    assert models["deepseek/deepseek-r1"]["supportsPromptCache"] is False
    assert "cacheWritesPrice" not in models["openai/gpt-5"] and models["openai/gpt-5"]["cacheReadsPrice"] == 0.125
    assert models["google/gemini-2.5-pro"]["requiredReasoningBudget"] is True


async def test_model_endpoints_as_in_the_reference_spec(tls_files: TLSFiles) -> None:
    """openrouter.spec.ts:82-186: endpoints keyed by tag, maxTokens from each endpoint, no
    supportsReasoningEffort / supportedParameters of their own (modelEndpointCache copies them)."""
    async with serve(tls_files, [json_entry(gemini_endpoints())]) as server:
        endpoints = await get_open_router_model_endpoints(GEMINI_PREVIEW)
    assert server.requests[0]["original_url"] == f"https://openrouter.ai/api/v1/models/{GEMINI_PREVIEW}/endpoints"
    expected = {
        "maxTokens": 65535,
        "contextWindow": 1048576,
        "supportsImages": True,
        "supportsPromptCache": True,
        "supportsReasoningBudget": True,
        "inputPrice": 1.25,
        "outputPrice": 10,
        "cacheWritesPrice": 1.625,
        "cacheReadsPrice": 0.31,
    }
    assert endpoints == {"google-vertex": expected, "google-ai-studio": {**expected, "maxTokens": 65536}}


async def test_image_model_endpoints_are_skipped(tls_files: TLSFiles) -> None:
    """openrouter.ts:164-167: a model that outputs images has no endpoints."""
    async with serve(tls_files, [json_entry(gemini_endpoints(["image", "text"]))]):
        assert await get_open_router_model_endpoints(GEMINI_PREVIEW) == {}


def test_parse_overrides_from_the_anthropic_table() -> None:
    """openrouter.ts:226-268 (and openrouter.spec.ts:269-363): Anthropic max tokens for the
    Claude ids, 32k for the horizon models, the 3.7 Sonnet and Haiku 4.5 reasoning flags, and
    ``ceil(context_length * 0.2)`` without a max_completion_tokens."""
    model = {"name": "x", "context_length": 200000, "pricing": {"prompt": "0.000003", "completion": "0.000015"}}

    def parse(model_id: str, max_tokens: Any = 8192) -> dict[str, Any]:
        return parse_open_router_model(model_id=model_id, model=model, input_modality=["text"], output_modality=["text"], max_tokens=max_tokens, supported_parameters=["reasoning"])

    assert parse("anthropic/claude-sonnet-4.6")["maxTokens"] == ANTHROPIC_MODELS["claude-sonnet-4-6"]["maxTokens"]
    assert parse("anthropic/claude-opus-4.1")["maxTokens"] == ANTHROPIC_MODELS["claude-opus-4-1-20250805"]["maxTokens"]
    assert parse("openrouter/horizon-alpha")["maxTokens"] == parse("openrouter/horizon-beta")["maxTokens"] == 32768
    sonnet_37 = parse("anthropic/claude-3.7-sonnet")
    assert (sonnet_37["maxTokens"], sonnet_37["supportsReasoningBudget"], sonnet_37["supportsReasoningEffort"]) == (
        ANTHROPIC_MODELS["claude-3-7-sonnet-20250219"]["maxTokens"], False, False
    )
    thinking = parse("anthropic/claude-3.7-sonnet:thinking")
    assert thinking["maxTokens"] == ANTHROPIC_MODELS["claude-3-7-sonnet-20250219:thinking"]["maxTokens"]
    assert thinking["requiredReasoningBudget"] is True
    haiku = parse("anthropic/claude-haiku-4.5")
    assert (haiku["supportsReasoningBudget"], haiku["supportsReasoningEffort"]) == (True, False)
    assert parse("mistralai/mistral-large", max_tokens=None)["maxTokens"] == 40000
    assert parse("mistralai/mistral-large", max_tokens=0)["maxTokens"] == 40000


# --- modelCache.ts -----------------------------------------------------------------------------


async def test_model_list_is_cached_in_memory(tls_files: TLSFiles) -> None:
    """modelCache.ts:138-152: a fetched, non-empty list is kept (node-cache, 5 minutes, cloned
    in and out); ``reset_caches`` forgets it as a new process would."""
    async with serve(tls_files, [recorded_models_entry()]) as server:
        first = await get_models({"provider": "openrouter"})
        first["anthropic/claude-sonnet-4.5"]["maxTokens"] = 1  # the caller's copy only
        second = await get_models({"provider": "openrouter"})
        assert len(server.requests) == 1
        assert second["anthropic/claude-sonnet-4.5"]["maxTokens"] == 64000
        reset_caches()
        await get_models({"provider": "openrouter"})
        assert len(server.requests) == 2


async def test_empty_model_list_is_not_cached(tls_files: TLSFiles) -> None:
    """modelCache.ts:145-157: an empty result may be a failure, so nothing is cached."""
    async with serve(tls_files, [json_entry({"data": []}, times=2)]) as server:
        assert await get_models({"provider": "openrouter"}) == {}
        assert await get_models({"provider": "openrouter"}) == {}
    assert len(server.requests) == 2


async def test_disk_cache(tls_files: TLSFiles, tmp_path: Path) -> None:
    """modelCache.ts:40-44 and :326-372: with a cache directory the list is also written to
    ``openrouter_models.json``; a process with an empty memory cache reads it from there (no
    request) after checking it against modelInfoSchema; an invalid file is ignored."""
    set_cache_directory(tmp_path)
    async with serve(tls_files, [recorded_models_entry()]) as server:
        fetched = await get_models({"provider": "openrouter"})
        reset_caches()
        assert await get_models({"provider": "openrouter"}) == fetched
    assert len(server.requests) == 1
    file = tmp_path / "openrouter_models.json"
    assert json.loads(file.read_text(encoding="utf-8")) == fetched
    assert [p.name for p in tmp_path.iterdir()] == ["openrouter_models.json"]

    reset_caches()
    file.write_text(json.dumps({"some/model": {"contextWindow": "big"}}), encoding="utf-8")
    assert get_models_from_cache("openrouter") is None


async def test_concurrent_refreshes_share_one_fetch(tls_files: TLSFiles) -> None:
    """modelCache.ts:174-228: refreshModels tracks the refresh under way per router; an empty
    refresh keeps (and returns) what the cache had."""
    async with serve(tls_files, [recorded_models_entry(), json_entry({"data": []})]) as server:
        first, second = await asyncio.gather(refresh_models({"provider": "openrouter"}), refresh_models({"provider": "openrouter"}))
        assert first is second and len(first) == 4
        assert len(server.requests) == 1
        assert await refresh_models({"provider": "openrouter"}) == first
        assert len(server.requests) == 2
    assert model_cache.get_models_from_cache("openrouter") == first


# --- modelEndpointCache.ts -----------------------------------------------------------------------


async def test_endpoints_need_a_model_and_an_endpoint(tls_files: TLSFiles) -> None:
    """modelEndpointCache.ts:45-49: only OpenRouter, and only with a model id and an endpoint."""
    async with serve(tls_files, []) as server:
        assert await get_model_endpoints(router="openrouter", model_id=GEMINI_PREVIEW) == {}
        assert await get_model_endpoints(router="openrouter", endpoint="google-vertex") == {}
        assert await get_model_endpoints(router="requesty", model_id=GEMINI_PREVIEW, endpoint="x") == {}
    assert server.requests == []


async def test_endpoints_take_the_parent_capabilities_and_are_cached(tls_files: TLSFiles) -> None:
    """modelEndpointCache.ts:56-83: the parent model's supportsReasoningEffort and
    supportedParameters are copied onto every endpoint; the result is cached under
    ``sanitize("openrouter_<model id>")``."""
    parent = {
        "id": GEMINI_PREVIEW, "name": "Gemini", "context_length": 1048576,
        "architecture": {"input_modalities": ["text"], "output_modalities": ["text"]},
        "supported_parameters": ["max_tokens", "temperature", "reasoning", "tools"],
    }
    upstream = [json_entry(gemini_endpoints(), match={"url_regex": "/endpoints$"}), json_entry({"data": [parent]})]
    async with serve(tls_files, upstream) as server:
        endpoints = await get_model_endpoints(router="openrouter", model_id=GEMINI_PREVIEW, endpoint="google-vertex")
        again = await get_model_endpoints(router="openrouter", model_id=GEMINI_PREVIEW, endpoint="google-vertex")
    assert len(server.requests) == 2
    assert endpoints == again
    for info in endpoints.values():
        assert (info["supportsReasoningEffort"], info["supportedParameters"]) == (True, ["max_tokens", "temperature", "reasoning"])
    assert sanitize_filename(f"openrouter_{GEMINI_PREVIEW}") == "openrouter_googlegemini-2.5-pro-preview"


async def test_empty_endpoints_read_the_router_file(tls_files: TLSFiles, tmp_path: Path) -> None:
    """modelEndpointCache.ts:85-93: when the fetch yields nothing, the reference reads the file
    named after the router (``openrouter_endpoints.json``), not after the model key."""
    set_cache_directory(tmp_path)
    saved = {"google-vertex": {"contextWindow": 1, "supportsPromptCache": False}}
    (tmp_path / "openrouter_endpoints.json").write_text(json.dumps(saved), encoding="utf-8")
    async with serve(tls_files, [json_entry({"error": "nope"}, status=404)]):
        assert await get_model_endpoints(router="openrouter", model_id=GEMINI_PREVIEW, endpoint="x") == saved


def test_sanitize_filename() -> None:
    """sanitize-filename 1.6.3: illegal and control characters, reserved and Windows names and
    trailing dots/spaces go; the result is cut to 255 UTF-8 bytes."""
    assert sanitize_filename('a/b?c<d>e\\f:g*h|i"j\x01k') == "abcdefghijk"
    assert sanitize_filename("..") == ""
    assert sanitize_filename("con.txt") == ""
    assert sanitize_filename("name. ") == "name"
    assert sanitize_filename("é" * 200) == "é" * 127
