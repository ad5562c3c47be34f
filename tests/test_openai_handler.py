"""OpenAiHandler beyond the recorded scenarios, through the loopback fixture server.

Each case is read off the reference at cb83656 (``src/api/providers/openai.ts``,
``src/api/transform/openai-format.ts``, ``src/api/transform/r1-format.ts``,
``src/api/transform/model-params.ts``, ``src/utils/tag-matcher.ts``,
``src/api/providers/utils/error-handler.ts``) and openai-node 5.12.2 (``client.js``,
``azure.js``, ``internal/headers.js``); the docstrings cite the lines. Every transcript of these
snapshots (request URLs, headers and bodies, chunks, result, error) was checked against the
reference's own OpenAiHandler run under Node 20 with openai 5.12.2 on the same upstream.
Hard-coded hosts (``*.services.ai.azure.com``, ``*.openai.azure.com``, ``api.x.ai``) reach the
fixture server's TLS listener through the harness's resolver, so URL and ``Host`` stay the real
ones.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from loopback import PLATFORM_HEADERS, SYSTEM, run_call
from syrupy.assertion import SnapshotAssertion

from parity.tls import HARD_CODED_HOSTS, TLSFiles, make_tls_files

SAMPLE_KEY = "sk-proj-SAMPLETESTKEY0000000000000000"
AZURE_KEY = "0123456789abcdef0123456789abcdef"

# A tool round and a plain exchange after it: what the agent loop sends on its third turn.
TOOL_ROUND: list[dict[str, Any]] = [
    {"role": "user", "content": [{"type": "text", "text": "<task>\nWhat is in README.md?\n</task>"}]},
    {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Reading it."},
            {"type": "tool_use", "id": "call_readme", "name": "read_file", "input": {"path": "README.md"}},
        ],
    },
    {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "call_readme", "content": "# Demo"},
            {"type": "text", "text": "<environment_details>\nnone\n</environment_details>"},
        ],
    },
    {"role": "assistant", "content": "It says Demo."},
    {"role": "user", "content": "Thanks."},
]

READ_FILE_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "read_file",
        "description": "Read a file.",
        "parameters": {
            "type": "object",
            "properties": {"path": {"type": "string"}, "line_range": {"type": ["string", "null"]}},
            "required": ["path"],
        },
    },
}


# --- the fixture server ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    hosts = (*HARD_CODED_HOSTS, "*.services.ai.azure.com", "*.openai.azure.com")
    return make_tls_files(tmp_path_factory.mktemp("openai-tls"), hosts)


def settings_for(**extra: Any) -> dict[str, Any]:
    """An OpenAI-compatible endpoint on the fixture server."""
    return {
        "apiProvider": "openai",
        "openAiBaseUrl": "{{BASE_URL}}/v1",
        "openAiApiKey": SAMPLE_KEY,
        "openAiModelId": "gpt-4o",
        **extra,
    }


def chunk(delta: dict[str, Any] | None = None, finish_reason: str | None = None, usage: dict[str, Any] | None = None) -> dict[str, Any]:
    """One ``chat.completion.chunk`` (no choices when only ``usage`` is given)."""
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish_reason}]
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "m", "choices": choices, "usage": usage}


def sse(*chunks: dict[str, Any]) -> dict[str, Any]:
    """An upstream entry streaming ``chunks`` as ``data:`` lines, then ``[DONE]``."""
    body = [f"data: {json.dumps(c, separators=(',', ':'))}\n\n" for c in chunks] + ["data: [DONE]\n\n"]
    return {"status": 200, "headers": {"content-type": "text/event-stream"}, "body_chunks": body}


def json_reply(body: Any, status: int = 200) -> dict[str, Any]:
    return {"status": status, "headers": {"content-type": "application/json"}, "body_chunks": [json.dumps(body)]}


def completion(message: dict[str, Any], **usage: Any) -> dict[str, Any]:
    """A whole ``chat.completion``."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": "stop"}],
        "usage": usage or None,
    }


USAGE = {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}


def snapshot_view(transcript: dict[str, Any]) -> dict[str, Any]:
    """What a snapshot shows: requests without platform headers or timing, keys cut short, the
    body as indented JSON in the order it was sent (key order is part of the behaviour)."""
    requests = []
    for request in transcript["requests"]:
        headers = {k: v for k, v in request["headers"].items() if k not in PLATFORM_HEADERS}
        for name in ("authorization", "api-key"):
            if name in headers:
                headers[name] = headers[name][:13] + "…"
        requests.append(
            {
                "method": request["method"],
                "url": request["url"],
                "original_url": request["original_url"],
                "headers": headers,
                "body": json.dumps(request["body"], indent=2, ensure_ascii=False),
            }
        )
    return {"requests": requests, "chunks": transcript["chunks"], "result": transcript["result"], "error": transcript["error"]}


def body_of(transcript: dict[str, Any]) -> dict[str, Any]:
    (request,) = transcript["requests"]
    body: dict[str, Any] = request["body"]
    return body


# --- createMessage: the streaming path -------------------------------------------------------------


async def test_prompt_cache_on_string_messages_and_empty_text(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """openai.ts:104-143: with ``supportsPromptCache`` the system prompt becomes a text part with
    ``cache_control``; of the last two user messages a string becomes a text part, and a message
    with no text part gets a ``"..."`` part to carry the cache_control (an image-only one here).
    openai-format.ts: the image becomes a base64 ``image_url`` part."""
    messages = [
        {"role": "user", "content": "First."},
        {"role": "assistant", "content": "Ok."},
        {"role": "user", "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}]},
    ]
    info = {"maxTokens": 4096, "contextWindow": 64000, "supportsImages": True, "supportsPromptCache": True, "inputPrice": 1, "outputPrice": 2}
    transcript = await run_call(
        tls_files,
        [sse(chunk({"content": "Seen."}), chunk({}, "stop"), chunk(usage=USAGE))],
        settings_for(openAiCustomModelInfo=info),
        messages=messages,
    )
    body = body_of(transcript)
    assert body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}
    assert body["messages"][3]["content"][-1] == {"type": "text", "text": "...", "cache_control": {"type": "ephemeral"}}
    assert snapshot_view(transcript) == snapshot


async def test_image_input(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """openai-format.ts: an image in a tool result stays out of the tool message, which says
    "(see following user message for image)" (the image itself is dropped); user images become
    ``data:<media_type>;base64,<data>`` ``image_url`` parts after the tool messages; empty text
    parts are filtered out, an empty tool result becomes "(empty)"."""
    messages = [
        {"role": "user", "content": "Look."},
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "call_shot", "name": "screenshot", "input": {}},
                {"type": "tool_use", "id": "call_ls", "name": "list_files", "input": {"path": "."}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "call_shot",
                    "content": [
                        {"type": "text", "text": "Screenshot taken"},
                        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
                    ],
                },
                {"type": "tool_result", "tool_use_id": "call_ls", "content": []},
                {"type": "text", "text": ""},
                {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"}},
                {"type": "text", "text": "What do you see?"},
            ],
        },
    ]
    transcript = await run_call(tls_files, [sse(chunk({"content": "A chart."}), chunk(usage=USAGE))], settings_for(), messages=messages)
    body = body_of(transcript)
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "tool", "tool", "user"]
    assert body["messages"][3]["content"] == "Screenshot taken\n(see following user message for image)"
    assert body["messages"][4]["content"] == "(empty)"
    assert body["messages"][5]["content"][0] == {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/4AAQ"}}
    assert snapshot_view(transcript) == snapshot


async def test_r1_format_deepseek_reasoner(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """openai.ts:87,101-102,147: ``deepseek-reasoner`` gets the system prompt as a user message
    through convertToR1Format, temperature DEEP_SEEK_DEFAULT_TEMPERATURE (0.3); r1-format.ts:
    consecutive user messages merge (strings joined by "\\n"), tool results become tool messages,
    reasoning blocks become ``reasoning_content``; reasoning_content deltas become reasoning
    chunks (:201-206)."""
    messages = [
        {"role": "user", "content": "Read the file."},
        {
            "role": "assistant",
            "content": [
                {"type": "reasoning", "text": "Need to read."},
                {"type": "text", "text": "Reading."},
                {"type": "tool_use", "id": "call_1", "name": "read_file", "input": {"path": "a.txt"}},
            ],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_1", "content": "alpha"}, {"type": "text", "text": "Go on."}]},
        {"role": "user", "content": "Also summarise."},
    ]
    transcript = await run_call(
        tls_files,
        [sse(chunk({"role": "assistant", "content": None, "reasoning_content": "Thinking."}), chunk({"content": "Alpha."}), chunk({}, "stop"), chunk(usage=USAGE))],
        settings_for(openAiModelId="deepseek-reasoner"),
        messages=messages,
    )
    body = body_of(transcript)
    assert body["temperature"] == 0.3
    assert body["messages"][0] == {"role": "user", "content": f"{SYSTEM}\nRead the file."}
    assert body["messages"][-1] == {"role": "user", "content": "Go on.\nAlso summarise."}
    assert transcript["chunks"][0] == {"type": "reasoning", "text": "Thinking."}
    assert snapshot_view(transcript) == snapshot


async def test_r1_format_enabled_for_any_model(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """openai.ts:87: ``openAiR1FormatEnabled`` takes the R1 path for any model id;
    ``modelTemperature`` wins over the DeepSeek default (:147)."""
    transcript = await run_call(
        tls_files,
        [sse(chunk({"content": "Hi."}), chunk(usage=USAGE))],
        settings_for(openAiModelId="qwq-32b", openAiR1FormatEnabled=True, modelTemperature=0.6),
        messages=[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}, {"role": "assistant", "content": "Again"}],
    )
    body = body_of(transcript)
    assert body["temperature"] == 0.6
    assert body["messages"] == [
        {"role": "user", "content": f"{SYSTEM}\nHi"},
        {"role": "assistant", "content": "Hello\nAgain"},
    ]
    assert snapshot_view(transcript) == snapshot


async def test_think_tag_only_at_the_start_and_nested(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """tag-matcher.ts: a ``<think>`` opens a reasoning region only as the very first character
    (position 0) or inside a region; nested tags keep it open until the depth falls to 0; a
    ``<think>`` later in the text is plain text, joined to the text run it continues. A lone
    ``<`` stays cached as a possible tag until matcher.final() flushes it (:226-228)."""
    transcript = await run_call(
        tls_files,
        [sse(chunk({"content": "<think>a<think>b</think>c"}), chunk({"content": "</think>d <think>e</think>"}), chunk({"content": "<"}))],
        settings_for(),
    )
    assert transcript["chunks"] == [
        {"type": "reasoning", "text": "a<think>b</think>c"},
        {"type": "text", "text": "d <think>e</think>"},
        {"type": "text", "text": "<"},
    ]
    assert snapshot_view(transcript) == snapshot


async def test_tool_call_end_only_for_ids_seen(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """openai.ts:451-479: every tool call delta is a tool_call_partial (undefined fields left out,
    JSON nulls kept); finish_reason "tool_calls" ends each id seen once, in first-seen order, and
    clears them, so a second finish_reason ends nothing. No usage chunk without usage (:230)."""
    transcript = await run_call(
        tls_files,
        [
            sse(
                chunk({"tool_calls": [{"index": 0, "id": "call_b", "type": "function", "function": {"name": "b", "arguments": ""}}]}),
                chunk({"tool_calls": [{"index": 1, "id": "call_a", "function": {"name": "a"}}, {"index": 0, "id": None, "function": {"arguments": "{}"}}]}),
                chunk({"tool_calls": [{"index": 1, "id": "call_b"}]}),
                chunk({}, "tool_calls"),
                chunk({}, "tool_calls"),
            )
        ],
        settings_for(),
        metadata={"taskId": "task-1", "tools": [READ_FILE_TOOL], "tool_choice": "required", "parallelToolCalls": False},
    )
    assert transcript["chunks"][-2:] == [{"type": "tool_call_end", "id": "call_b"}, {"type": "tool_call_end", "id": "call_a"}]
    body = body_of(transcript)
    assert (body["tool_choice"], body["parallel_tool_calls"]) == ("required", False)
    assert snapshot_view(transcript) == snapshot


async def test_reasoning_effort_and_max_completion_tokens(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """model-params.ts / reasoning.ts: a custom model with ``supportsReasoningEffort`` and a
    selected effort spreads ``reasoning_effort`` into the body (openai.ts:153); with
    ``includeMaxTokens`` ``max_completion_tokens`` is ``modelMaxTokens`` (:552-560), appended
    last; cache token counts go into the usage chunk (:269-277)."""
    info = {"maxTokens": 16000, "contextWindow": 128000, "supportsPromptCache": False, "supportsReasoningEffort": True}
    transcript = await run_call(
        tls_files,
        [sse(chunk({"content": "Ok."}), chunk(usage={**USAGE, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 7}))],
        settings_for(openAiModelId="gpt-oss-120b", openAiCustomModelInfo=info, reasoningEffort="low", includeMaxTokens=True, modelMaxTokens=2048),
    )
    body = body_of(transcript)
    assert body["reasoning_effort"] == "low"
    assert list(body)[-1] == "max_completion_tokens" and body["max_completion_tokens"] == 2048
    assert transcript["chunks"][-1] == {"type": "usage", "inputTokens": 12, "outputTokens": 3, "cacheReadTokens": 7}
    assert snapshot_view(transcript) == snapshot


async def test_custom_headers(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """openai.ts:47-50: ``openAiHeaders`` are spread over DEFAULT_HEADERS (a custom
    ``User-Agent`` wins, names case-insensitively); openai-node's buildHeaders puts the default
    headers after the auth header, so an ``Authorization`` there replaces the Bearer key."""
    headers = {"user-agent": "MyProxy/1.0", "X-Team": "platform", "Authorization": "Bearer proxy-token"}
    transcript = await run_call(tls_files, [sse(chunk({"content": "Hi."}))], settings_for(openAiHeaders=headers))
    (request,) = transcript["requests"]
    assert request["headers"]["user-agent"] == "MyProxy/1.0"
    assert request["headers"]["x-team"] == "platform"
    assert request["headers"]["authorization"] == "Bearer proxy-token"
    assert request["headers"]["x-title"] == "Roo Code"
    assert snapshot_view(transcript) == snapshot


async def test_grok_xai_host_without_stream_options(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """openai.ts:145,152 (_isGrokXAI, :530-533): a base URL whose host contains ``x.ai`` gets no
    ``stream_options``; so no usage arrives and no usage chunk is yielded."""
    transcript = await run_call(
        tls_files,
        [sse(chunk({"content": "Grok here."}), chunk({}, "stop"))],
        settings_for(openAiBaseUrl="https://api.x.ai/v1", openAiModelId="grok-3"),
    )
    assert "stream_options" not in body_of(transcript)
    assert transcript["requests"][0]["original_url"] == "https://api.x.ai/v1/chat/completions"
    assert snapshot_view(transcript) == snapshot


# --- createMessage: streaming disabled ----------------------------------------------------------------


async def test_streaming_disabled(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """openai.ts:235-285: with ``openAiStreamingEnabled: false`` the body has model, messages,
    tools, tool_choice, parallel_tool_calls (no temperature, no stream, no reasoning); the whole
    message is one text chunk (``content || ""``) and processUsageMetrics gives the usage."""
    transcript = await run_call(
        tls_files,
        [json_reply(completion({"content": "<think>kept as text</think>Done."}, **USAGE))],
        settings_for(openAiStreamingEnabled=False, modelTemperature=0.5),
        messages=TOOL_ROUND,
    )
    body = body_of(transcript)
    assert list(body) == ["model", "messages", "parallel_tool_calls"]
    assert transcript["chunks"] == [
        {"type": "text", "text": "<think>kept as text</think>Done."},
        {"type": "usage", "inputTokens": 12, "outputTokens": 3},
    ]
    assert snapshot_view(transcript) == snapshot


async def test_non_streaming_tool_calls(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """openai.ts:261-281: each ``function`` tool call of the message is a ``tool_call`` chunk
    (others skipped), then the text chunk ("" for null content), then usage (0 without one)."""
    message = {
        "content": None,
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "read_file", "arguments": '{"path":"a"}'}},
            {"id": "call_x", "type": "custom", "custom": {"name": "x", "input": ""}},
            {"id": "call_2", "type": "function", "function": {"name": "read_file", "arguments": '{"path":"b"}'}},
        ],
    }
    transcript = await run_call(
        tls_files,
        [json_reply({"id": "chatcmpl-1", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", **message}}]})],
        settings_for(openAiStreamingEnabled=False),
        metadata={"taskId": "task-1", "tools": [READ_FILE_TOOL]},
    )
    assert transcript["chunks"] == [
        {"type": "tool_call", "id": "call_1", "name": "read_file", "arguments": '{"path":"a"}'},
        {"type": "tool_call", "id": "call_2", "name": "read_file", "arguments": '{"path":"b"}'},
        {"type": "text", "text": ""},
        {"type": "usage", "inputTokens": 0, "outputTokens": 0},
    ]
    assert snapshot_view(transcript) == snapshot


# --- createMessage: the o1/o3/o4 family ---------------------------------------------------------------


async def test_o3_mini_developer_role(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """openai.ts:89-92,320-357: a model id containing o1/o3/o4 sends a ``developer`` message
    "Formatting re-enabled\\n<system>", no temperature, the model info's ``reasoningEffort``,
    ``max_completion_tokens`` with includeMaxTokens (the model's maxTokens here);
    handleStreamResponse (:410-440) yields content as text with no <think> matching and a
    usage chunk (input/output only) for every chunk with usage."""
    info = {"maxTokens": 100000, "contextWindow": 200000, "supportsPromptCache": True, "reasoningEffort": "high"}
    transcript = await run_call(
        tls_files,
        [sse(chunk({"content": "<think>x</think>"}), chunk({"tool_calls": [{"index": 0, "id": "call_1", "function": {"name": "f", "arguments": "{}"}}]}, "tool_calls"), chunk(usage={**USAGE, "cache_read_input_tokens": 5}))],
        settings_for(openAiModelId="o3-mini", openAiCustomModelInfo=info, includeMaxTokens=True),
        messages=TOOL_ROUND,
    )
    body = body_of(transcript)
    assert body["messages"][0] == {"role": "developer", "content": f"Formatting re-enabled\n{SYSTEM}"}
    assert "temperature" not in body and body["reasoning_effort"] == "high" and body["max_completion_tokens"] == 100000
    assert transcript["chunks"][0] == {"type": "text", "text": "<think>x</think>"}
    assert transcript["chunks"][-1] == {"type": "usage", "inputTokens": 12, "outputTokens": 3}
    assert snapshot_view(transcript) == snapshot


async def test_o1_streaming_disabled(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """openai.ts:361-406: the non-streaming o-family request (developer message, tools from
    metadata) and its tool_call / text / usage chunks."""
    transcript = await run_call(
        tls_files,
        [json_reply(completion({"content": "Answer.", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "read_file", "arguments": "{}"}}]}, **USAGE))],
        settings_for(openAiModelId="o1", openAiStreamingEnabled=False),
        metadata={"taskId": "task-1", "tools": [READ_FILE_TOOL], "tool_choice": "auto"},
    )
    assert list(body_of(transcript)) == ["model", "messages", "tools", "tool_choice", "parallel_tool_calls"]
    assert snapshot_view(transcript) == snapshot


# --- Azure ------------------------------------------------------------------------------------------


async def test_azure_ai_inference(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """openai.ts:53-61,159-162: a ``*.services.ai.azure.com`` host uses the plain OpenAI client
    (Bearer auth) with ``api-version`` 2024-05-01-preview as default query and the path
    ``/models/chat/completions`` (OPENAI_AZURE_AI_INFERENCE_PATH) instead of /chat/completions."""
    transcript = await run_call(
        tls_files,
        [sse(chunk({"content": "Hi."}), chunk(usage=USAGE))],
        settings_for(openAiBaseUrl="https://my-resource.services.ai.azure.com", openAiModelId="DeepSeek-V3"),
    )
    (request,) = transcript["requests"]
    assert request["original_url"] == "https://my-resource.services.ai.azure.com/models/chat/completions?api-version=2024-05-01-preview"
    assert request["headers"]["authorization"] == f"Bearer {SAMPLE_KEY}"
    assert snapshot_view(transcript) == snapshot


async def test_azure_ai_inference_complete_prompt(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """openai.ts:310-313: completePrompt takes the inference path too, with ``azureApiVersion``."""
    transcript = await run_call(
        tls_files,
        [json_reply(completion({"content": "Short."}))],
        settings_for(openAiBaseUrl="https://my-resource.services.ai.azure.com/", azureApiVersion="2024-10-21"),
        prompt="Summarise.",
    )
    assert transcript["requests"][0]["url"] == "/models/chat/completions?api-version=2024-10-21"
    assert transcript["result"] == "Short."
    assert snapshot_view(transcript) == snapshot


async def test_azure_host_detected_without_flag(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """openai.ts:45,62-71: an ``*.azure.com`` host is Azure OpenAI without ``openAiUseAzure``:
    AzureOpenAI with azureOpenAiDefaultApiVersion (2024-08-01-preview), the ``api-key`` header
    instead of Authorization, and azure.js's ``/deployments/<model>`` before the path."""
    transcript = await run_call(
        tls_files,
        [sse(chunk({"content": "Hi."}), chunk(usage=USAGE))],
        settings_for(openAiBaseUrl="https://my-resource.openai.azure.com/openai", openAiApiKey=AZURE_KEY),
    )
    (request,) = transcript["requests"]
    assert request["original_url"] == "https://my-resource.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-08-01-preview"
    assert request["headers"]["api-key"] == AZURE_KEY and "authorization" not in request["headers"]
    assert snapshot_view(transcript) == snapshot


# --- completePrompt and errors -----------------------------------------------------------------------


async def test_complete_prompt_error_is_wrapped_twice(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """openai.ts:315-327: handleOpenAIError's "OpenAI completion error: …" is caught by
    completePrompt's outer catch and wrapped again in a plain Error, which carries no status."""
    error = {"error": {"message": "Invalid model.", "type": "invalid_request_error", "code": "model_not_found"}}
    transcript = await run_call(tls_files, [json_reply(error, status=404)], settings_for(includeMaxTokens=True), prompt="Hi")
    assert transcript["error"]["message"] == "OpenAI completion error: OpenAI completion error: 404 Invalid model."
    assert transcript["error"]["status"] is None
    assert body_of(transcript)["max_completion_tokens"] == -1  # openAiModelInfoSaneDefaults.maxTokens
    assert snapshot_view(transcript) == snapshot


async def test_complete_prompt_without_message(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """openai.ts:324: ``choices?.[0]?.message.content``: no choices gives "", a choice without a
    message throws V8's TypeError, which the outer catch wraps."""
    transcript = await run_call(
        tls_files,
        [json_reply({"choices": []})],
        settings_for(),
        prompt="Hi",
    )
    assert transcript["result"] == ""
    second = await run_call(tls_files, [json_reply({"choices": [{"index": 0}]})], settings_for(), prompt="Hi")
    assert second["error"]["message"] == "OpenAI completion error: Cannot read properties of undefined (reading 'content')"
    assert [snapshot_view(transcript), snapshot_view(second)] == snapshot


async def test_api_key_with_invalid_characters(tls_files: TLSFiles, snapshot: SnapshotAssertion) -> None:
    """error-handler.ts:62-64: undici's Headers rejects a non-Latin-1 key before any request
    ("Cannot convert argument to a ByteString…", internal/headers.js buildHeaders), so no retry;
    handleOpenAIError turns it into the i18n text "API key contains invalid characters."."""
    transcript = await run_call(tls_files, [], settings_for(openAiApiKey="sk-proj-\u20ac"))
    assert transcript["requests"] == []
    assert transcript["error"]["message"] == "API key contains invalid characters."
    assert snapshot_view(transcript) == snapshot
