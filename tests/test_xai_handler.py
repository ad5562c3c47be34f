"""XAIHandler beyond the recorded scenarios, through the loopback fixture server.

Each case is read off the reference at cb83656 (``src/api/providers/xai.ts``,
``src/api/transform/responses-api-input.ts``, ``src/api/transform/responses-api-stream.ts``,
``src/api/providers/base-provider.ts``, ``src/api/transform/model-params.ts``) and openai-node
5.12.2 (``core/streaming.js``, ``lib/ResponsesParser.js``); the docstrings cite the lines. The
request bodies of the snapshots were checked against the reference's own transforms run under
Node. ``api.x.ai`` is hard-coded: the harness's resolver sends it to the fixture server's TLS
listener, so URL, ``Host`` and SNI stay the real ones.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from loopback import PLATFORM_HEADERS, run_call
from syrupy.assertion import SnapshotAssertion

from parity.tls import TLSFiles
from providers import build_api_handler

SAMPLE_KEY = "xai-SAMPLETESTKEY000000000000000000000000000000000000000000000000000000000000"

# What the agent loop sends on its third turn: the first tool round (two reads, one result with
# an image), the second (an edit whose result is empty) and a plain-text exchange after it.
MULTI_TURN: list[dict[str, Any]] = [
    {"role": "user", "content": [{"type": "text", "text": "<task>\nFix the failing test.\n</task>"}]},
    {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "The sum looks wrong.", "signature": "c2lnbmF0dXJl"},
            {"type": "thinking", "thinking": " \n\t"},
            {"type": "text", "text": "Reading the source and its test."},
            {"type": "tool_use", "id": "call_read_src", "name": "read_file", "input": {"path": "src/math.ts", "line_range": None}},
            {"type": "tool_use", "id": "call_read_test", "name": "read_file", "input": {"path": "src/math.test.ts"}},
        ],
    },
    {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "call_read_src", "content": "export const add = (a: number, b: number) => a - b"},
            {
                "type": "tool_result",
                "tool_use_id": "call_read_test",
                "content": [
                    {"type": "text", "text": "expect(add(1, 2)).toBe(3)"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
                    {"type": "text", "text": "1 failing"},
                ],
            },
            {"type": "text", "text": "<environment_details>\n# Current Time\n2025-01-01T00:00:00Z\n</environment_details>"},
        ],
    },
    {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "`add` subtracts."},
            {"type": "tool_use", "id": "call_edit", "name": "search_replace", "input": '{"path":"src/math.ts","search":"a - b","replace":"a + b"}'},
        ],
    },
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "Screenshot of the editor:"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"}},
            {"type": "tool_result", "tool_use_id": "call_edit", "content": ""},
            {"type": "text", "text": "Edit applied."},
        ],
    },
    {"role": "assistant", "content": "Fixed: `add` now adds."},
    {"role": "user", "content": "Run the tests, then finish."},
]

TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "read_file",
            "description": "Read a file.",
            "parameters": {
                "type": "object",
                "properties": {
                    "path": {"type": "string"},
                    "line_range": {"type": ["string", "null"]},
                    "options": {"type": "object", "properties": {"encoding": {"type": ["string", "null"]}}},
                },
                "required": ["path"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "execute_command",
            "parameters": {"type": "object", "properties": {"command": {"type": "string"}}, "additionalProperties": False},
        },
    },
    {
        "type": "function",
        "function": {
            "name": "mcp__jira__create_ticket",
            "description": "Create a ticket (MCP server: jira)",
            "parameters": {"type": "object", "properties": {"summary": {"type": "string"}, "labels": {"type": ["array", "null"]}}},
        },
    },
]


# --- the fixture server (conftest.py's tls_files) --------------------------------------------------


def sse(*events: dict[str, Any]) -> dict[str, Any]:
    """An upstream entry streaming ``events`` as xAI writes them (``event:`` line, compact JSON)."""
    chunks = [f"event: {e.get('type')}\ndata: {json.dumps(e, separators=(',', ':'))}\n\n" for e in events]
    return {"status": 200, "headers": {"content-type": "text/event-stream"}, "body_chunks": chunks}


def json_reply(body: Any, status: int = 200) -> dict[str, Any]:
    return {"status": status, "headers": {"content-type": "application/json"}, "body_chunks": [json.dumps(body)]}


def completed(**usage: Any) -> dict[str, Any]:
    return {"type": "response.completed", "response": {"object": "response", "status": "completed", "usage": usage}}


async def run(
    tls_files: TLSFiles, upstream: list[dict[str, Any]], *, settings: dict[str, Any] | None = None, **call: Any
) -> dict[str, Any]:
    """``run_call`` with grok-code-fast-1 unless ``settings`` say otherwise."""
    default = {"apiProvider": "xai", "apiModelId": "grok-code-fast-1", "xaiApiKey": SAMPLE_KEY}
    return await run_call(tls_files, upstream, settings or default, **call)


def snapshot_view(transcript: dict[str, Any]) -> dict[str, Any]:
    """What a snapshot shows: requests without platform headers or timing, the key cut short,
    the body as indented JSON in the order it was sent (key order is part of the behaviour)."""
    requests = []
    for request in transcript["requests"]:
        headers = {k: v for k, v in request["headers"].items() if k not in PLATFORM_HEADERS}
        if "authorization" in headers:
            headers["authorization"] = headers["authorization"][:13] + "…"
        requests.append({"method": request["method"], "original_url": request["original_url"], "headers": headers, "body": json.dumps(request["body"], indent=2, ensure_ascii=False)})
    return {"requests": requests, "chunks": transcript["chunks"], "result": transcript["result"], "error": transcript["error"]}


# --- createMessage ---------------------------------------------------------------------------------


async def test_multi_turn_with_previous_tool_results(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """responses-api-input.ts: assistant text and ``[Thinking] …`` (only non-blank thinking,
    :57-65) become ``output_text`` messages, each tool_use a ``function_call`` item whose
    ``arguments`` is the string input as is or ``JSON.stringify(input)`` (:47-54); in user turns
    pending text/images are flushed as a user message before each ``function_call_output``
    (:84-88), whose output is the string, the text parts joined by "\\n" (images dropped), or
    ``(empty)`` (:90-102); string contents become one message (:20-33). xai.ts:60-83: tools go
    out flat with ``strict`` (MCP tools keep their schema, ``strict: false``); :112-117:
    ``tool_choice`` from metadata and ``parallel_tool_calls`` defaulting to true."""
    transcript = await run(
        tls_files,
        [
            sse(
                {"type": "response.reasoning_summary_text.delta", "item_id": "rs_1", "output_index": 0, "summary_index": 0, "delta": "Tests next."},
                {"type": "response.output_item.added", "output_index": 1, "item": {"id": "fc_1", "type": "function_call", "status": "in_progress", "arguments": "", "call_id": "call_run", "name": "execute_command"}},
                {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "output_index": 1, "delta": '{"command":"npm test"}'},
                {"type": "response.output_item.done", "output_index": 1, "item": {"id": "fc_1", "type": "function_call", "status": "completed", "arguments": '{"command":"npm test"}', "call_id": "call_run", "name": "execute_command"}},
                completed(input_tokens=2048, input_tokens_details={"cached_tokens": 1536}, output_tokens=40, output_tokens_details={"reasoning_tokens": 25}, total_tokens=2088),
            )
        ],
        messages=MULTI_TURN,
        metadata={"taskId": "task-1", "tools": TOOLS, "tool_choice": "required"},
    )
    assert transcript["error"] is None
    (request,) = transcript["requests"]
    items = request["body"]["input"]
    # every previous call is answered by the function_call_output with its call_id, in order
    calls = [item["call_id"] for item in items if item.get("type") == "function_call"]
    outputs = [item["call_id"] for item in items if item.get("type") == "function_call_output"]
    assert calls == outputs == ["call_read_src", "call_read_test", "call_edit"]
    assert [item.get("type", item.get("role")) for item in items] == [
        "user",
        "message",  # [Thinking] The sum looks wrong.
        "message",  # Reading the source and its test.
        "function_call",
        "function_call",
        "function_call_output",
        "function_call_output",
        "user",  # environment details
        "message",
        "function_call",
        "user",  # the text and screenshot before the tool result
        "function_call_output",  # "(empty)"
        "user",  # Edit applied.
        "message",
        "user",
    ]
    assert snapshot_view(transcript) == snapshot


async def test_arguments_deltas_carry_the_event_name(tls_files: TLSFiles) -> None:
    """responses-api-stream.ts:69-83: ``call_id || tool_call_id || id || item_id`` is the id,
    ``name || function_name`` the name (left out when neither is there), ``index ?? 0`` the index;
    a delta that is not a string gives ``""`` and an event without any id yields nothing."""
    transcript = await run(
        tls_files,
        [
            sse(
                {"type": "response.function_call_arguments.delta", "call_id": "call_a", "name": "read_file", "output_index": 0, "index": 2, "delta": '{"path":'},
                {"type": "response.tool_call_arguments.delta", "tool_call_id": "call_b", "function_name": "list_files", "delta": 7},
                {"type": "response.function_call_arguments.delta", "output_index": 0, "delta": "lost"},
                {"type": "response.function_call_arguments.delta", "item_id": "fc_c", "name": "", "delta": "{}"},
                completed(input_tokens=5, output_tokens=1),
            )
        ],
    )
    assert transcript["chunks"] == [
        {"type": "tool_call_partial", "index": 2, "id": "call_a", "name": "read_file", "arguments": '{"path":'},
        {"type": "tool_call_partial", "index": 0, "id": "call_b", "name": "list_files", "arguments": ""},
        {"type": "tool_call_partial", "index": 0, "id": "fc_c", "arguments": "{}"},
        {"type": "usage", "inputTokens": 5, "outputTokens": 1, "cacheWriteTokens": 0, "cacheReadTokens": 0},
    ]


async def test_completed_tool_calls_from_any_item_shape(tls_files: TLSFiles) -> None:
    """responses-api-stream.ts:44-66: a ``function_call`` or ``tool_call`` item yields a
    ``tool_call`` with ``call_id || tool_call_id || id``, ``name || function.name`` and the
    arguments as a string (an object is ``JSON.stringify``-ed, ``arguments || function.arguments
    || input``); an item without a usable id or name, or a message item, yields nothing."""
    transcript = await run(
        tls_files,
        [
            sse(
                {"type": "response.output_item.done", "item": {"type": "tool_call", "id": "tc_1", "function": {"name": "search", "arguments": {"query": "café", "limit": 2.5}}}},
                {"type": "response.output_item.done", "item": {"type": "function_call", "call_id": "call_2", "name": "noop", "arguments": "", "input": {"a": [1, None]}}},
                {"type": "response.output_item.done", "item": {"type": "function_call", "call_id": "call_3", "name": "noop"}},
                {"type": "response.output_item.done", "item": {"type": "function_call", "call_id": "", "name": "noop", "arguments": "{}"}},
                {"type": "response.output_item.done", "item": {"type": "function_call", "call_id": "call_4", "arguments": "{}"}},
                {"type": "response.output_item.done", "item": {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "not again"}]}},
                completed(input_tokens=5, output_tokens=1),
            )
        ],
    )
    assert transcript["chunks"][:-1] == [
        {"type": "tool_call", "id": "tc_1", "name": "search", "arguments": '{"query":"café","limit":2.5}'},
        {"type": "tool_call", "id": "call_2", "name": "noop", "arguments": '{"a":[1,null]}'},
        {"type": "tool_call", "id": "call_3", "name": "noop", "arguments": ""},
    ]


async def test_reasoning_text_and_chat_style_usage(tls_files: TLSFiles) -> None:
    """responses-api-stream.ts:31-41: all four reasoning delta events yield ``reasoning``, an empty
    delta nothing; :86-93 and createUsageNormalizer (:108-139): ``response.done`` counts too,
    usage falls back to Chat Completions names (``prompt_tokens``, ``completion_tokens``,
    ``prompt_tokens_details.cached_tokens``), ``cache_read_input_tokens`` and
    ``cache_creation_input_tokens`` win, a non-number reasoning count is left out and xAI adds no
    cost (xai.ts:134 passes no calculator)."""
    transcript = await run(
        tls_files,
        [
            sse(
                {"type": "response.reasoning_text.delta", "delta": "a"},
                {"type": "response.reasoning.delta", "delta": "b"},
                {"type": "response.reasoning_summary.delta", "delta": ""},
                {"type": "response.reasoning_summary_text.delta", "delta": "c"},
                {"type": "response.text.delta", "delta": "Hi"},
                {"type": "response.done", "usage": {"prompt_tokens": 30, "completion_tokens": 4, "prompt_tokens_details": {"cached_tokens": 12}, "output_tokens_details": {"reasoning_tokens": "2"}}},
                {"type": "response.completed", "response": {"usage": {"input_tokens": 30, "output_tokens": 4, "input_tokens_details": {"cached_tokens": 12}, "cache_read_input_tokens": 20, "cache_creation_input_tokens": 8}}},
                {"type": "response.completed", "response": {"usage": None}},
            )
        ],
    )
    assert transcript["chunks"] == [
        {"type": "reasoning", "text": "a"},
        {"type": "reasoning", "text": "b"},
        {"type": "reasoning", "text": "c"},
        {"type": "text", "text": "Hi"},
        {"type": "usage", "inputTokens": 30, "outputTokens": 4, "cacheWriteTokens": 0, "cacheReadTokens": 12},
        {"type": "usage", "inputTokens": 30, "outputTokens": 4, "cacheWriteTokens": 8, "cacheReadTokens": 20},
    ]


async def test_stream_error_event_is_not_wrapped(tls_files: TLSFiles) -> None:
    """xai.ts:121-134: only ``responses.create`` is inside the try that rethrows through
    ``handleOpenAIError``; an error in the stream (openai-node core/streaming.js:49-50: data with
    an ``error`` member throws ``APIError(undefined, data.error, undefined, headers)``) reaches
    the caller as the SDK's APIError, after the chunks before it. ``response.failed`` (its error
    inside ``response``) is no such event: the stream ignores it."""
    failed = {"type": "response.failed", "response": {"status": "failed", "error": {"code": "server_error", "message": "boom"}}}
    error_event = {"type": "error", "error": {"type": "server_error", "code": "overloaded", "message": "Grok is overloaded"}}
    transcript = await run(
        tls_files,
        [sse({"type": "response.output_text.delta", "delta": "Partial"}, failed, error_event, completed(input_tokens=1, output_tokens=1))],
    )
    assert transcript["chunks"] == [{"type": "text", "text": "Partial"}]
    error = transcript["error"]
    assert (error["name"], error["message"], error["status"], error["after_chunks"]) == ("APIError", "Grok is overloaded", None, 1)
    assert (error["props"]["code"], error["props"]["error"]) == ("overloaded", error_event["error"])


async def test_request_failure_is_wrapped_with_status_and_code(tls_files: TLSFiles) -> None:
    """xai.ts:128-132 and error-handler.ts:47-86: a failed ``responses.create`` becomes
    ``Error("xAI completion error: <SDK message>")`` keeping ``status`` and ``code``; the SDK's
    message for an ``error`` object is ``<status> <error.message>`` (no retry for 401)."""
    body = {"error": {"message": "Invalid API key", "type": "invalid_request_error", "code": "invalid_api_key"}}
    transcript = await run(tls_files, [json_reply(body, status=401)])
    error = transcript["error"]
    assert (error["name"], error["message"], error["status"]) == ("Error", "xAI completion error: 401 Invalid API key", 401)
    assert error["props"]["code"] == "invalid_api_key"
    assert len(transcript["requests"]) == 1


async def test_grok_3_mini_reasoning_effort_from_settings(tls_files: TLSFiles) -> None:
    """xai.ts:121-124 with model-params.ts:126-138 and reasoning.ts:114-126: grok-3-mini
    (``supportsReasoningEffort: ["low", "high"]``) sends ``reasoning: {reasoning_effort}`` with
    the selected effort; ``modelTemperature`` replaces the default 0 (model-params.ts:101)."""
    settings = {"apiProvider": "xai", "apiModelId": "grok-3-mini", "xaiApiKey": SAMPLE_KEY, "reasoningEffort": "high", "modelTemperature": 0.7}
    transcript = await run(tls_files, [sse(completed(input_tokens=1, output_tokens=1))], settings=settings)
    body = transcript["requests"][0]["body"]
    assert list(body)[-3:] == ["max_output_tokens", "temperature", "reasoning"]
    assert (body["max_output_tokens"], body["temperature"], body["reasoning"]) == (8192, 0.7, {"reasoning_effort": "high"})


# --- completePrompt --------------------------------------------------------------------------------


async def test_complete_prompt_joins_output_text_parts(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """xai.ts:139-152: no ``stream`` key in the body; the result is the SDK's ``output_text``
    (lib/ResponsesParser.js:156-169: the output_text parts of message items, joined; reasoning
    and function_call items and refusal parts left out). Without ``xaiApiKey`` the key is
    ``not-provided`` (xai.ts:30)."""
    response = {
        "id": "resp_1",
        "object": "response",
        "status": "completed",
        "output": [
            {"id": "rs_1", "type": "reasoning", "summary": [{"type": "summary_text", "text": "thinking"}]},
            {"id": "msg_1", "type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "po", "annotations": []}, {"type": "refusal", "refusal": "no"}]},
            {"id": "fc_1", "type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"},
            {"id": "msg_2", "type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "ng", "annotations": []}]},
        ],
        "usage": {"input_tokens": 10, "output_tokens": 2},
    }
    transcript = await run(tls_files, [json_reply(response)], settings={"apiProvider": "xai"}, prompt="Reply pong.")
    assert transcript["result"] == "pong"
    assert transcript["requests"][0]["headers"]["authorization"] == "Bearer not-provided"
    assert snapshot_view(transcript) == snapshot


async def test_complete_prompt_without_message_output_is_empty(tls_files: TLSFiles) -> None:
    """xai.ts:151: ``response.output_text || ""``: a response whose output holds no text."""
    response = {"object": "response", "output": [{"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"}]}
    transcript = await run(tls_files, [json_reply(response)], prompt="Reply pong.")
    assert (transcript["result"], transcript["error"]) == ("", None)


async def test_complete_prompt_text_body_is_a_type_error(tls_files: TLSFiles) -> None:
    """openai-node resources/responses/responses.js:19-24 tests ``'object' in rsp``; a 200
    reply that is not JSON is parsed as text, and ``in`` on a string throws V8's TypeError,
    which xai.ts:147-150 wraps."""
    reply = {"status": 200, "headers": {"content-type": "text/plain"}, "body_chunks": ["pong"]}
    transcript = await run(tls_files, [reply], prompt="Reply pong.")
    error = transcript["error"]
    assert (error["name"], error["message"], error["status"]) == (
        "Error",
        "xAI completion error: Cannot use 'in' operator to search for 'object' in pong",
        None,
    )


# --- getModel ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        # an unknown id falls back to grok-4.20; maxTokens min(65536, ceil(2M * 0.2))
        ({"apiModelId": "grok-99"}, {"id": "grok-4.20", "format": "openai", "maxTokens": 65_536, "temperature": 0}),
        # min(16384, ceil(256000 * 0.2))
        ({"apiModelId": "grok-code-fast-1"}, {"id": "grok-code-fast-1", "format": "openai", "maxTokens": 16_384, "temperature": 0}),
        # the model's default effort "low"
        (
            {"apiModelId": "grok-3-mini"},
            {"id": "grok-3-mini", "format": "openai", "maxTokens": 8192, "temperature": 0, "reasoningEffort": "low", "reasoning": {"reasoning_effort": "low"}},
        ),
        # "medium" is not in ["low", "high"]: no reasoning at all (shared/api.ts:78-80)
        ({"apiModelId": "grok-3-mini", "reasoningEffort": "medium"}, {"id": "grok-3-mini", "format": "openai", "maxTokens": 8192, "temperature": 0}),
        # the explicit off switch (shared/api.ts:60)
        ({"apiModelId": "grok-3-mini", "enableReasoningEffort": False}, {"id": "grok-3-mini", "format": "openai", "maxTokens": 8192, "temperature": 0}),
        # a model without reasoning effort ignores the setting (shared/api.ts:89-96)
        ({"apiModelId": "grok-3", "reasoningEffort": "high"}, {"id": "grok-3", "format": "openai", "maxTokens": 8192, "temperature": 0}),
    ],
)
def test_get_model(settings: dict[str, Any], expected: dict[str, Any]) -> None:
    """xai.ts:39-54: the xAI table entry plus getModelParams(format "openai", default
    temperature 0); keys whose TS value is undefined are left out."""
    model = build_api_handler({"apiProvider": "xai", **settings}).get_model()
    from providers.types.xai import XAI_MODELS

    assert model == {"info": XAI_MODELS[expected["id"]], **expected}


def test_model_table_matches_the_reference_source() -> None:
    """packages/types/src/providers/xai.ts: ids, prices and limits (spot checks of each kind)."""
    from providers.types.xai import XAI_DEFAULT_MODEL_ID, XAI_MODELS

    assert XAI_DEFAULT_MODEL_ID == "grok-4.20"
    assert list(XAI_MODELS) == [
        "grok-4.20",
        "grok-code-fast-1",
        "grok-4-1-fast-reasoning",
        "grok-4-1-fast-non-reasoning",
        "grok-4-fast-reasoning",
        "grok-4-fast-non-reasoning",
        "grok-4-0709",
        "grok-3-mini",
        "grok-3",
    ]
    prices = {k: (v["inputPrice"], v["outputPrice"], v["cacheReadsPrice"], v["maxTokens"], v["contextWindow"]) for k, v in XAI_MODELS.items()}
    assert prices["grok-4.20"] == (2.0, 6.0, 0.5, 65_536, 2_000_000)
    assert prices["grok-code-fast-1"] == (0.2, 1.5, 0.02, 16_384, 256_000)
    assert prices["grok-3-mini"] == (0.3, 0.5, 0.07, 8192, 131072)
    assert XAI_MODELS["grok-3-mini"]["supportsReasoningEffort"] == ["low", "high"]


def test_hard_coded_host_is_the_real_one() -> None:
    """xai.ts:32: ``baseURL: "https://api.x.ai/v1"`` whatever the settings say."""
    handler = build_api_handler({"apiProvider": "xai", "openAiBaseUrl": "http://example.invalid"})
    assert handler.client.base_url == "https://api.x.ai/v1"



async def test_only_non_function_tools_still_send_an_empty_tools_list(tls_files: TLSFiles) -> None:
    """xai.ts:67-71 and 116-120: ``mapResponseTools`` returns ``undefined`` only for no tools;
    tools that are all filtered out (``tool?.type === "function"``) map to ``[]``, and
    ``if (responseTools)`` is true for an empty array, so ``tools: []``, ``tool_choice`` and
    ``parallel_tool_calls`` are still sent."""
    metadata = {"taskId": "task-1", "tools": [{"type": "custom", "name": "grammar"}]}
    transcript = await run(tls_files, [sse(completed(input_tokens=1, output_tokens=1))], metadata=metadata)
    body = transcript["requests"][0]["body"]
    assert (body["tools"], body["tool_choice"], body["parallel_tool_calls"]) == ([], "auto", True)
