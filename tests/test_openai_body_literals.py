"""openai.ts builds each chat completions body as one object literal; ``JSON.stringify`` sends its
properties in the literal's order, spread objects in place, undefined ones left out, then
``addMaxTokensIfNeeded``'s ``max_completion_tokens`` last.

createMessage (openai.ts:155-165): model, temperature, messages, stream, stream_options,
``...reasoning``, tools, tool_choice, parallel_tool_calls. handleO3FamilyMessage (:341-358):
model, messages, stream, stream_options, reasoning_effort, (temperature: undefined), tools,
tool_choice, parallel_tool_calls. Without streaming (:376-389): the same without stream and
stream_options.
"""

from __future__ import annotations

import json
from typing import Any

from loopback import SYSTEM, Reply, Upstream, collect

from providers import build_api_handler

TOOL = {"type": "function", "function": {"name": "pick", "description": "Pick.", "parameters": {"type": "object", "properties": {}}}}
METADATA = {"taskId": "t", "tools": [TOOL], "tool_choice": "auto"}


def settings(upstream: Upstream, model_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "apiProvider": "openai",
        "openAiBaseUrl": f"{upstream.base_url}/v1",
        "openAiApiKey": "sk-test-literal",
        "openAiModelId": model_id,
        **extra,
    }


async def sent_keys(upstream: Upstream, handler_settings: dict[str, Any], reply: Reply) -> list[str]:
    upstream.route("/chat/completions", reply)
    handler = build_api_handler(handler_settings)
    await collect(handler.create_message(SYSTEM, [{"role": "user", "content": "Hi"}], METADATA))
    (seen,) = upstream.seen
    return list(json.loads(seen.body))


def done() -> Reply:
    return Reply(200, {"content-type": "text/event-stream"}, [b"data: [DONE]\n\n"])


async def test_create_message_body_order(upstream: Upstream) -> None:
    info = {"maxTokens": 1000, "contextWindow": 8000, "supportsPromptCache": False, "supportsReasoningEffort": True}
    keys = await sent_keys(
        upstream,
        settings(upstream, "gpt-4o", openAiCustomModelInfo=info, reasoningEffort="high", includeMaxTokens=True),
        done(),
    )
    assert keys == [
        "model", "temperature", "messages", "stream", "stream_options", "reasoning_effort",
        "tools", "tool_choice", "parallel_tool_calls", "max_completion_tokens",
    ]


async def test_o3_family_streaming_body_order(upstream: Upstream) -> None:
    info = {"maxTokens": 1000, "contextWindow": 8000, "supportsPromptCache": False, "reasoningEffort": "low"}
    keys = await sent_keys(upstream, settings(upstream, "o3-mini", openAiCustomModelInfo=info), done())
    assert keys == ["model", "messages", "stream", "stream_options", "reasoning_effort", "tools", "tool_choice", "parallel_tool_calls"]


async def test_o3_family_body_without_streaming(upstream: Upstream) -> None:
    completion = {"id": "c", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}]}
    keys = await sent_keys(
        upstream, settings(upstream, "o3-mini", openAiStreamingEnabled=False, openAiR1FormatEnabled=False), Reply.json(completion)
    )
    # openAiModelInfoSaneDefaults has no reasoningEffort: undefined, left out
    assert keys == ["model", "messages", "tools", "tool_choice", "parallel_tool_calls"]
