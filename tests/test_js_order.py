"""JavaScript's order of work, as the reference's OpenRouter handler relies on it.

An ``async`` function runs synchronously up to its first ``await``, so
``Promise.all([getModels(), getModelEndpoints()])`` (openrouter.ts:166-173 in the constructor's
``loadDynamicModels``, :537-544 in ``fetchModel``) sends the model list request before the
endpoints request, and the constructor's pair before ``createMessage``'s; Node's http agent looks
each new connection's host up on its own, so they reach the server in that order. The expected
orders were recorded from a Node 20 oracle (axios 1.12.0, node-cache 5.1.2, the reference's
``getModels`` / ``getModelEndpoints`` / constructor / ``fetchModel`` sequence against a local
server; fresh process per run).

The other ``Promise.all`` / un-awaited promise / ``.then`` sites of the ported files:
``modelCache.ts`` awaits ``writeModels(...).catch`` after ``memoryCache.set`` (the cache is filled
before the disk write, as in ``model_cache.get_models``); ``refreshModels`` registers its
in-flight promise before any fetch answers (``model_cache.refresh_models``); ``countTokens``'
worker pool is awaited (``utils.count_tokens``); Bedrock's ``setTimeout`` abort is a timeout item
of its own. None of the transforms or utils start work they do not await.
"""

from __future__ import annotations

import asyncio
from typing import Any

from test_openrouter_handler import ENDPOINTS_URL, sonnet_endpoints, text_stream
from test_openrouter_support import (  # noqa: F401  (fresh_caches: an autouse fixture)
    MODELS_URL,
    fresh_caches,
    json_entry,
    recorded_models_entry,
    run,
)

import providers
from parity.runner import serve
from parity.tls import TLSFiles
from providers.types.openrouter import OPEN_ROUTER_DEFAULT_MODEL_INFO


def arrivals(requests: list[dict[str, Any]]) -> list[str]:
    """Every request as ``METHOD url`` in the order the server saw it."""
    return [f"{r['method']} {r['original_url'] or r['url']}" for r in requests]


async def test_specific_provider_sends_two_model_list_requests(tls_files: TLSFiles) -> None:
    """With ``openRouterSpecificProvider`` and empty caches the reference sends the model list,
    the endpoints, the model list, the endpoints (recorded from the Node oracle, five fresh runs
    alike): each model list answers before the endpoints request sent after it, so
    modelEndpointCache.ts:65's nested ``getModels`` finds the list cached and sends nothing."""
    outcome = await run(
        tls_files,
        [recorded_models_entry(), sonnet_endpoints(times=4), text_stream()],
        openRouterSpecificProvider="anthropic",
    )
    assert outcome.error is None
    assert arrivals(outcome.requests)[:4] == [
        f"GET {MODELS_URL}",
        f"GET {ENDPOINTS_URL}",
        f"GET {MODELS_URL}",
        f"GET {ENDPOINTS_URL}",
    ]
    assert [r["method"] for r in outcome.requests] == ["GET", "GET", "GET", "GET", "POST"]


async def test_constructor_request_leaves_before_create_message_s(tls_files: TLSFiles) -> None:
    """The constructor's ``loadDynamicModels`` sends its model list request before
    ``createMessage``'s ``fetchModel`` does: when the first model list request fails, it is the
    constructor's, and ``fetchModel`` gets the list (recorded from the Node oracle: the first of
    two model list requests answered 503, ``fetchModel`` ended with the 5 listed models).
    getModel then reads openai/gpt-5 from the list, not openRouterDefaultModelInfo."""
    outcome = await run(
        tls_files,
        [json_entry({"error": "down"}, status=503, match={"method": "GET"}), recorded_models_entry(), text_stream()],
        model_id="openai/gpt-5",
    )
    assert outcome.error is None
    assert arrivals(outcome.requests) == [f"GET {MODELS_URL}", f"GET {MODELS_URL}", "POST /api/v1/chat/completions"]
    info = outcome.handler.get_model()["info"]
    assert info is not OPEN_ROUTER_DEFAULT_MODEL_INFO
    assert info["contextWindow"] == 400000
    assert outcome.body()["max_tokens"] == outcome.handler.get_model()["maxTokens"] != OPEN_ROUTER_DEFAULT_MODEL_INFO["maxTokens"]


async def test_handler_built_in_a_loop_starts_its_requests_at_once(tls_files: TLSFiles) -> None:
    """``new OpenRouterHandler()`` sends its two requests before anything else runs (an async
    function's body up to its first await runs inside the call): a handler built and never
    called still sends the model list and the endpoints, in that order."""
    async with serve(tls_files, [recorded_models_entry(), sonnet_endpoints()]) as server:
        handler = providers.build_api_handler(
            {
                "apiProvider": "openrouter",
                "openRouterModelId": "anthropic/claude-sonnet-4.5",
                "openRouterSpecificProvider": "anthropic",
            }
        )
        for _ in range(200):  # the background load ends within a few ms
            if handler.endpoints:
                break
            await asyncio.sleep(0.01)
        assert arrivals(server.requests) == [f"GET {MODELS_URL}", f"GET {ENDPOINTS_URL}"]
        assert set(handler.endpoints) == {"anthropic", "Google"}
