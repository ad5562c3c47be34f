"""AnthropicHandler and AnthropicVertexHandler beyond the recorded scenarios.

Each case is read off the reference at cb83656 (``src/api/providers/anthropic.ts``,
``src/api/providers/anthropic-vertex.ts``, ``src/api/transform/caching/vertex.ts``,
``src/core/prompts/tools/native-tools/converters.ts``) and @anthropic-ai/vertex-sdk 0.7.0
``src/client.ts``; the docstrings cite the lines. Transcripts (requests without platform
headers, chunks, result, error) are syrupy snapshots.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from loopback import SYSTEM, Upstream, collect, sample_service_account
from syrupy.assertion import SnapshotAssertion
from test_anthropic_support import (
    SAMPLE_API_KEY,
    Reply,
    block_delta,
    block_start,
    block_stop,
    message_end,
    message_start,
    request_transcript,
    text_stream,
)

from providers import build_api_handler
from providers.js.errors import JSError

SONNET = "claude-sonnet-4-5"
VERTEX_SONNET = "claude-sonnet-4-5@20250929"
HELLO = [{"role": "user", "content": "Say hello."}]


def anthropic_settings(upstream: Upstream, **extra: Any) -> dict[str, Any]:
    return {
        "apiProvider": "anthropic",
        "apiModelId": SONNET,
        "apiKey": SAMPLE_API_KEY,
        "anthropicBaseUrl": upstream.base_url,
        **extra,
    }


def vertex_settings(**extra: Any) -> dict[str, Any]:
    return {
        "apiProvider": "vertex",
        "apiModelId": VERTEX_SONNET,
        "vertexProjectId": "sample-project",
        "vertexRegion": "us-east5",
        "vertexJsonCredentials": json.dumps(sample_service_account()),
        **extra,
    }


def sent_body(request: dict[str, Any]) -> Any:
    """A transcript request's JSON body, parsed."""
    return json.loads(request["body"])


async def transcript(
    upstream: Upstream,
    settings: dict[str, Any],
    messages: list[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
    prompt: str | None = None,
) -> dict[str, Any]:
    """Run createMessage (or completePrompt when ``prompt`` is given) and record what happened."""
    already = len(upstream.seen)
    handler = build_api_handler(settings)
    chunks: list[dict[str, Any]] = []
    result: str | None = None
    error: dict[str, Any] | None = None
    try:
        if prompt is not None:
            result = await handler.complete_prompt(prompt)
        else:
            stream = handler.create_message(SYSTEM, messages or HELLO, metadata or {"taskId": "task-1"})
            chunks = await collect(stream)
    except JSError as exc:
        error = {"constructor": getattr(exc, "js_constructor", type(exc).__name__), "message": exc.message}
    return {
        "requests": [request_transcript(seen) for seen in upstream.seen[already:]],
        "chunks": chunks,
        "result": result,
        "error": error,
    }


# --- anthropic.ts ------------------------------------------------------------------------------


async def test_redacted_thinking_and_signatures_yield_nothing(upstream: Upstream, snapshot: SnapshotAssertion) -> None:
    """anthropic.ts:253-306: content_block_start handles only thinking/text/tool_use, so a
    redacted_thinking block yields nothing; signature_delta has no case either (the comment at
    content_block_stop, :308-313, says signatures would need stream.finalMessage()). A thinking
    or text block at index > 0 is preceded by a "\\n" chunk of its own type (:258, :267)."""
    upstream.route(
        "/v1/messages",
        Reply.sse(
            message_start(input_tokens=30, output_tokens=2),
            block_start(0, {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"}),
            block_stop(0),
            block_start(1, {"type": "thinking", "thinking": "", "signature": ""}),
            block_delta(1, {"type": "thinking_delta", "thinking": "Let me think."}),
            block_delta(1, {"type": "signature_delta", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}),
            block_stop(1),
            block_start(2, {"type": "text", "text": ""}),
            block_delta(2, {"type": "text_delta", "text": "Done."}),
            block_stop(2),
            *message_end(output_tokens=40),
        ),
    )
    settings = anthropic_settings(upstream, enableReasoningEffort=True, modelMaxTokens=16384, modelMaxThinkingTokens=4096)

    result = await transcript(upstream, settings)

    assert {chunk["type"] for chunk in result["chunks"]} == {"usage", "reasoning", "text"}
    assert result["chunks"][1:4] == [
        {"type": "reasoning", "text": "\n"},
        {"type": "reasoning", "text": ""},
        {"type": "reasoning", "text": "Let me think."},
    ]
    assert result == snapshot


async def test_output_128k_beta_for_the_thinking_model(upstream: Upstream, snapshot: SnapshotAssertion) -> None:
    """anthropic.ts:375-377: ``claude-3-7-sonnet-20250219:thinking`` is sent as
    ``claude-3-7-sonnet-20250219`` with betas ["output-128k-2025-02-19"], which replace the
    fine-grained-tool-streaming default (:58); prompt caching is appended (:163). The table's
    requiredReasoningBudget gives thinking with the default budget (model-params.ts) and
    temperature 1."""
    upstream.route("/v1/messages", text_stream())
    settings = anthropic_settings(upstream, apiModelId="claude-3-7-sonnet-20250219:thinking")

    result = await transcript(upstream, settings)

    (request,) = result["requests"]
    assert request["headers"]["anthropic-beta"] == "output-128k-2025-02-19,prompt-caching-2024-07-31"
    assert sent_body(request)["model"] == "claude-3-7-sonnet-20250219"
    assert result == snapshot


async def test_1m_context_beta_and_tier_pricing(upstream: Upstream, snapshot: SnapshotAssertion) -> None:
    """anthropic.ts:67-76 appends context-1m-2025-08-07 after the default beta for Sonnet 4/4.5/4.6
    and Opus 4.6 with anthropicBeta1MContext; getModel (:340-360) prices by the first tier, so the
    final cost (:317-330, calculateApiCostAnthropic) uses $6/$22.50/$7.50/$0.60 per million."""
    upstream.route(
        "/v1/messages",
        Reply.sse(
            message_start(input_tokens=1000, output_tokens=1, cache_creation_input_tokens=2000, cache_read_input_tokens=3000),
            block_start(0, {"type": "text", "text": ""}),
            block_delta(0, {"type": "text_delta", "text": "Hi"}),
            block_stop(0),
            *message_end(output_tokens=100),
        ),
    )
    settings = anthropic_settings(upstream, anthropicBeta1MContext=True)

    result = await transcript(upstream, settings)

    assert result["requests"][0]["headers"]["anthropic-beta"] == (
        "fine-grained-tool-streaming-2025-05-14,context-1m-2025-08-07,prompt-caching-2024-07-31"
    )
    expected = (7.5 / 1_000_000) * 2000 + (0.6 / 1_000_000) * 3000 + (6.0 / 1_000_000) * 1000 + (22.5 / 1_000_000) * 1
    assert result["chunks"][-1] == {"type": "usage", "inputTokens": 0, "outputTokens": 0, "totalCost": expected}
    assert result == snapshot


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "read_file",
            "description": "Read a file",
            "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
        },
    },
    {"type": "function", "function": {"name": "attempt_completion", "parameters": {"type": "object", "properties": {}}}},
]


@pytest.mark.parametrize(
    ("tool_choice", "parallel_tool_calls"),
    [
        (None, None),
        ("auto", False),
        ("required", None),
        ("none", None),
        ({"type": "function", "function": {"name": "read_file"}}, True),
        ({"type": "function", "function": {"name": "read_file"}}, False),
        ("unknown-mode", None),
    ],
    ids=["absent", "auto-serial", "required", "none", "named", "named-serial", "unknown-string"],
)
async def test_tool_choice_variants(
    upstream: Upstream, snapshot: SnapshotAssertion, tool_choice: Any, parallel_tool_calls: bool | None
) -> None:
    """converters.ts:75-105 (convertOpenAIToolChoiceToAnthropic): absent/unknown → auto, "required"
    → any, "none" → undefined (the key is left out of the body), a named function → tool;
    disable_parallel_tool_use is ``parallelToolCalls === false``. converters.ts:29-40: a missing
    description becomes "" and parameters become input_schema."""
    upstream.route("/v1/messages", text_stream())
    metadata: dict[str, Any] = {"taskId": "task-1", "tools": TOOLS}
    if tool_choice is not None:
        metadata["tool_choice"] = tool_choice
    if parallel_tool_calls is not None:
        metadata["parallelToolCalls"] = parallel_tool_calls

    result = await transcript(upstream, anthropic_settings(upstream), metadata=metadata)

    body = sent_body(result["requests"][0])
    assert list(body)[-2:] == (["stream", "tools"] if tool_choice == "none" else ["tools", "tool_choice"])
    assert {"tools": body["tools"], "tool_choice": body.get("tool_choice")} == snapshot


IMAGE = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgoAAAANSUhEUgAAAAE="}}


IMAGE_CONVERSATION: list[dict[str, Any]] = [
    {"role": "user", "content": [{"type": "text", "text": "What is in this picture?"}, IMAGE]},
    {"role": "assistant", "content": "A square."},
    {"role": "user", "content": [IMAGE, {"type": "text", "text": "And this one?"}]},
]


async def test_image_blocks_anthropic_marks_the_last_block(upstream: Upstream, snapshot: SnapshotAssertion) -> None:
    """anthropic.ts:124-139: in the last two user messages the *last* content block gets
    cache_control whatever its type, so an image ending a message is marked."""
    upstream.route("/v1/messages", text_stream())

    result = await transcript(upstream, anthropic_settings(upstream), messages=IMAGE_CONVERSATION)

    sent = sent_body(result["requests"][0])["messages"]
    assert sent[0]["content"][1]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in sent[2]["content"][0]
    assert result == snapshot


LONG_CONVERSATION: list[dict[str, Any]] = [
    {"role": "user", "content": "<task>Refactor utils.ts</task>"},
    {"role": "assistant", "content": [{"type": "text", "text": "Reading it."}, {"type": "tool_use", "id": "toolu_1", "name": "read_file", "input": {"path": "utils.ts"}}]},
    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "export const x = 1"}, {"type": "text", "text": "<environment_details>1</environment_details>"}]},
    {"role": "assistant", "content": [{"type": "reasoning", "text": "internal"}, {"type": "text", "text": "Editing."}]},
    {"role": "user", "content": [{"type": "text", "text": "first"}, {"type": "tool_result", "tool_use_id": "toolu_2", "content": "ok"}, {"type": "text", "text": "<environment_details>2</environment_details>"}, IMAGE]},
    {"role": "assistant", "content": [{"type": "thoughtSignature", "thoughtSignature": "abc"}]},
    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_3", "content": "done"}, {"type": "text", "text": "<environment_details>3</environment_details>"}]},
    {"role": "assistant", "content": "Done."},
    {"role": "user", "content": "Thanks, one more thing."},
]


async def test_cache_breakpoints_across_a_long_conversation(upstream: Upstream, snapshot: SnapshotAssertion) -> None:
    """anthropic.ts:107-139: filterNonAnthropicBlocks first (anthropic-filter.ts drops reasoning
    and thoughtSignature blocks, and a message left empty), then only the last two user messages
    are marked: a string content becomes one text block with cache_control, an array gets it on its
    last block; earlier user messages and every assistant message go out unchanged."""
    upstream.route("/v1/messages", text_stream())

    result = await transcript(upstream, anthropic_settings(upstream), messages=LONG_CONVERSATION)

    sent = sent_body(result["requests"][0])["messages"]
    marked = [i for i, m in enumerate(sent) if any("cache_control" in b for b in m["content"] if isinstance(b, dict))]
    assert len(sent) == len(LONG_CONVERSATION) - 1  # the thoughtSignature-only message is gone
    assert marked == [5, 7]
    assert result == snapshot


async def test_complete_prompt_with_auth_token(upstream: Upstream, snapshot: SnapshotAssertion) -> None:
    """anthropic.ts:40-46: with anthropicBaseUrl and anthropicUseAuthToken the key goes out as
    ``authorization: Bearer`` (no x-api-key); completePrompt (:382-409) sends a non-streaming
    request without thinking and returns the first text block."""
    upstream.route(
        "/v1/messages",
        Reply.json(
            {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "content": [{"type": "thinking", "thinking": "hm"}, {"type": "text", "text": "pong"}],
                "usage": {"input_tokens": 5, "output_tokens": 1},
            }
        ),
    )
    settings = anthropic_settings(upstream, anthropicUseAuthToken=True, enableReasoningEffort=True)

    result = await transcript(upstream, settings, prompt="Reply with pong.")

    assert result["result"] == "pong"
    assert "x-api-key" not in result["requests"][0]["headers"]
    assert result == snapshot


async def test_breaking_out_releases_the_connection(upstream: Upstream) -> None:
    """PORTING.md: breaking out of createMessage closes the connection at once (the SDK's
    ``controller.abort()`` when a stream is left early, streaming.ts fromSSEResponse)."""
    slow = text_stream()
    slow.chunks = slow.chunks[:3] + [b": keep-alive\n\n"] * 200
    slow.delay_ms = 10
    upstream.route("/v1/messages", slow)
    handler = build_api_handler(anthropic_settings(upstream))

    stream = handler.create_message(SYSTEM, HELLO)
    async for chunk in stream:
        if chunk["type"] == "text" and chunk["text"]:
            break
    await stream.aclose()

    await asyncio.wait_for(upstream.idle(), 1.0)  # long before the 2 s the whole reply takes


# --- anthropic-vertex.ts ---------------------------------------------------------------------------


async def test_vertex_global_region(upstream: Upstream, snapshot: SnapshotAssertion) -> None:
    """vertex-sdk 0.7.0 client.ts:65 builds ``https://${region}-aiplatform.googleapis.com/v1`` for
    any region, ``global`` included (this SDK version has no special case for it), and buildRequest (:112-163)
    posts to ``/projects/{project}/locations/global/publishers/anthropic/models/{model}:streamRawPredict``
    with ``model`` out of the body and ``anthropic_version`` last in it."""
    upstream.token()
    upstream.route(":streamRawPredict", text_stream("From the global endpoint."))

    result = await transcript(upstream, vertex_settings(vertexRegion="global"))

    token, call = result["requests"]
    assert token["url"] == "https://www.googleapis.com/oauth2/v4/token"
    assert call["url"] == (
        "https://global-aiplatform.googleapis.com/v1/projects/sample-project/locations/global"
        "/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict"
    )
    assert "model" not in sent_body(call) and list(sent_body(call))[-1] == "anthropic_version"
    assert result == snapshot


async def test_vertex_image_blocks_and_long_conversation(upstream: Upstream, snapshot: SnapshotAssertion) -> None:
    """caching/vertex.ts: only text blocks are marked — the *last text block* of each of the last
    two user messages, so an image after it stays unmarked (unlike anthropic.ts:124-139); in a long
    conversation the same two user messages as in anthropic.ts are the marked ones."""
    upstream.token()
    upstream.token()
    upstream.route(":streamRawPredict", text_stream(), text_stream())

    images = await transcript(upstream, vertex_settings(), messages=IMAGE_CONVERSATION)
    long = await transcript(upstream, vertex_settings(), messages=LONG_CONVERSATION)

    sent = sent_body(images["requests"][1])["messages"]
    assert sent[0]["content"][0]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in sent[0]["content"][1]
    sent = sent_body(long["requests"][1])["messages"]
    marked = [i for i, m in enumerate(sent) if any("cache_control" in b for b in m["content"] if isinstance(b, dict))]
    assert marked == [5, 7]
    assert {"images": images, "long": long} == snapshot


async def test_vertex_complete_prompt_and_error_wrapping(upstream: Upstream, snapshot: SnapshotAssertion) -> None:
    """anthropic-vertex.ts:262-303: completePrompt posts to ``:rawPredict`` (stream false) with the
    prompt as a cached text block, returns content[0].text, and rethrows any error as
    ``new Error(`Vertex completion error: ${error.message}`)``."""
    upstream.token()
    upstream.token()  # each handler has its own GoogleAuth, so its own token request
    upstream.route(
        ":rawPredict",
        Reply.json({"id": "msg_1", "type": "message", "role": "assistant", "content": [{"type": "text", "text": "pong"}]}),
        Reply.json({"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}}, status=400),
    )

    ok = await transcript(upstream, vertex_settings(), prompt="Reply with pong.")
    failed = await transcript(upstream, vertex_settings(), prompt="Again.")

    assert ok["result"] == "pong"
    assert failed["error"] == {
        "constructor": "Error",
        "message": 'Vertex completion error: 400 {"type":"error","error":{"type":"invalid_request_error","message":"bad"}}',
    }
    assert {"ok": ok, "failed": failed} == snapshot


async def test_vertex_retry_reuses_the_first_attempts_headers(upstream: Upstream) -> None:
    """vertex-sdk client.ts:163: the buildRequest override calls ``super.buildRequest(options)``
    without core.ts's ``{ retryCount }``, so every attempt says ``x-stainless-retry-count: 0``
    (the golden retry_429_quota_then_ok shows it too); :109 merges the auth headers under the
    options' own headers, which every retry shares."""
    upstream.token()
    upstream.route(
        ":streamRawPredict",
        Reply.json({"error": {"code": 503, "status": "UNAVAILABLE"}}, status=503, headers={"retry-after-ms": "5"}),
        text_stream(),
    )

    result = await transcript(upstream, vertex_settings())

    assert len(result["requests"]) == 3 and result["chunks"][-1]["type"] == "usage"
    first, second = upstream.seen[1:]
    assert first.headers["x-stainless-retry-count"] == second.headers["x-stainless-retry-count"] == "0"
    assert first.headers["authorization"] == second.headers["authorization"] == "Bearer ya29.c.sample-access-token"


async def test_vertex_project_id_from_the_credentials(upstream: Upstream) -> None:
    """anthropic-vertex.ts:40 passes ``vertexProjectId ?? "not-provided"``, so an empty string
    reaches the SDK; vertex-sdk client.ts:103-107 (prepareOptions) then takes the project from the
    auth client (the service account's ``project_id``) before buildRequest writes the path."""
    upstream.token()
    upstream.route(":streamRawPredict", text_stream())

    result = await transcript(upstream, vertex_settings(vertexProjectId=""))

    assert result["requests"][1]["url"].startswith(
        "https://us-east5-aiplatform.googleapis.com/v1/projects/sample-project/locations/us-east5/"
    )


@pytest.mark.parametrize(("settings_key", "sends_env_key"), [("absent", True), ("null", False)])
async def test_env_api_key_fills_an_absent_key_only(
    upstream: Upstream, monkeypatch: pytest.MonkeyPatch, settings_key: str, sends_env_key: bool
) -> None:
    """anthropic.ts:45 passes ``apiKey: this.options.apiKey``; @anthropic-ai/sdk 0.37.0's
    constructor defaults ``apiKey = readEnv('ANTHROPIC_API_KEY') ?? null`` only for undefined:
    an absent key takes the environment's, an explicit null stays null (and the request fails
    validateHeaders before it is sent)."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
    upstream.route("/v1/messages", text_stream())
    settings = anthropic_settings(upstream)
    if settings_key == "absent":
        del settings["apiKey"]
    else:
        settings["apiKey"] = None
    handler = build_api_handler(settings)
    if sends_env_key:
        await collect(handler.create_message(SYSTEM, HELLO))
        assert upstream.seen[0].headers["x-api-key"] == "sk-ant-from-env"
    else:
        with pytest.raises(JSError, match="Could not resolve authentication method"):
            await collect(handler.create_message(SYSTEM, HELLO))
        assert upstream.seen == []
