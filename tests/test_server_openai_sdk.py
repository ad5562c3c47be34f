"""POST /v1/chat/completions with the official ``openai`` SDK as the client, against the
recorded upstream replies of the parity scenarios in every wire format the port speaks (OpenAI,
Azure, Anthropic, Anthropic on Vertex, Gemini, Gemini on Vertex, Bedrock's event stream,
OpenRouter, xAI's Responses API).

For each scenario whose ``createMessage`` succeeds, the scenario's conversation is sent as an
OpenAI request (its Anthropic-style messages written the OpenAI way, its tools as ``tools``):
the upstream must receive exactly the body the reference sent (``golden.json``), and the SDK must
see exactly the text, reasoning, tool calls and token counts of the chunks the reference yielded,
streamed (with ``include_usage``) and not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest
from gateway_server import KEY, gateway, key_table
from loopback import SCENARIOS, Upstream

from parity.runner import normalise, substitute

SELECTED = sorted(
    f"{path.parent.parent.name}/{path.parent.name}"
    for path in SCENARIOS.glob("*/*/golden.json")
    if json.loads(path.read_text())["error"] is None
    and json.loads((path.parent / "scenario.json").read_text())["call"]["method"] == "createMessage"
    and json.loads(path.read_text())["chunks"]  # an empty reply is a failure to the router
    and not path.parent.name.startswith("retry_")  # the router's own retries: test_router_faults.py
)


def to_openai(system: str, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Anthropic-style messages (the reference's) written as OpenAI chat messages."""
    out: list[dict[str, Any]] = [{"role": "system", "content": system}]
    for message in messages:
        content = message["content"]
        if message["role"] == "assistant":
            if isinstance(content, str):
                out.append({"role": "assistant", "content": content})
                continue
            texts = [b for b in content if b["type"] == "text"]
            calls = [
                {"id": b["id"], "type": "function", "function": {"name": b["name"], "arguments": json.dumps(b["input"])}}
                for b in content if b["type"] == "tool_use"
            ]
            entry: dict[str, Any] = {"role": "assistant"}
            if calls:
                entry["content"] = "".join(b["text"] for b in texts) or None
                entry["tool_calls"] = calls
            else:
                entry["content"] = [{"type": "text", "text": b["text"]} for b in texts]
            out.append(entry)
            continue
        if isinstance(content, str):
            out.append({"role": "user", "content": content})
            continue
        parts = []
        for block in content:
            if block["type"] == "tool_result":
                out.append({"role": "tool", "tool_call_id": block["tool_use_id"], "content": block["content"]})
            elif block["type"] == "text":
                parts.append({"type": "text", "text": block["text"]})
            elif block["type"] == "image":
                source = block["source"]
                parts.append({"type": "image_url", "image_url": {"url": f"data:{source['media_type']};base64,{source['data']}"}})
        if parts:
            out.append({"role": "user", "content": parts})
    return out


def expected(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """What an OpenAI client should see of the reference's chunks: every named call (fragments of
    a call with no name yet are the Responses API's, whose whole ``tool_call`` follows; an OpenAI
    client must not see a call without a function name)."""
    calls: dict[Any, dict[str, str]] = {}
    order: list[Any] = []
    by_index: dict[Any, Any] = {}
    for chunk in chunks:
        if chunk["type"] not in ("tool_call_partial", "tool_call"):
            continue
        key = chunk.get("id") or by_index.get(chunk.get("index"))
        if key not in calls:
            if not chunk.get("name"):
                continue
            calls[key] = {"id": chunk["id"], "name": "", "arguments": ""}
            order.append(key)
        by_index[chunk.get("index")] = key
        if chunk.get("name") and not calls[key]["name"]:
            calls[key]["name"] = chunk["name"]
        calls[key]["arguments"] += chunk.get("arguments") or ""
    usage = [c for c in chunks if c["type"] == "usage"]
    return {
        "text": "".join(c.get("text") or "" for c in chunks if c["type"] == "text"),
        "reasoning": "".join(c.get("text") or "" for c in chunks if c["type"] == "reasoning"),
        "tool_calls": [calls[k] for k in order],
        "prompt_tokens": sum(c.get("inputTokens") or 0 for c in usage),
        "completion_tokens": sum(c.get("outputTokens") or 0 for c in usage),
        "cached_tokens": sum(c.get("cacheReadTokens") or 0 for c in usage),
    }


async def run(upstream: Upstream, name: str, stream: bool) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(what the SDK saw, what the reference yielded, the scenario) for scenario ``name``."""
    directory = SCENARIOS / name
    scenario = substitute(json.loads((directory / "scenario.json").read_text()), upstream.base_url)
    golden = json.loads((directory / "golden.json").read_text())
    upstream.server.add(*scenario["upstream"])
    call = scenario["call"]
    config = {"keys": [key_table("team", KEY)], "deployments": [{"name": "model-a", "settings": scenario["settings"]}]}
    request: dict[str, Any] = {"model": "model-a", "messages": to_openai(call["systemPrompt"], call["messages"])}
    metadata = call.get("metadata") or {}
    if metadata.get("tools"):
        request["tools"] = metadata["tools"]
    if "tool_choice" in metadata:
        request["tool_choice"] = metadata["tool_choice"]
    if "parallelToolCalls" in metadata:
        request["parallel_tool_calls"] = metadata["parallelToolCalls"]
    async with gateway(config) as origin:
        client = openai.AsyncOpenAI(base_url=f"{origin}/v1", api_key=KEY, max_retries=0)
        try:
            if stream:
                seen = await _streamed(client, request)
            else:
                completion = await client.chat.completions.create(**request)
                message = completion.choices[0].message
                assert completion.object == "chat.completion" and completion.model == "model-a"
                seen = {
                    "text": message.content or "",
                    "reasoning": (message.model_extra or {}).get("reasoning_content") or "",
                    "tool_calls": [
                        {"id": c.id, "name": c.function.name, "arguments": c.function.arguments} for c in message.tool_calls or []
                    ],
                    "prompt_tokens": completion.usage.prompt_tokens,
                    "completion_tokens": completion.usage.completion_tokens,
                    "cached_tokens": completion.usage.prompt_tokens_details.cached_tokens,
                    "finish_reason": completion.choices[0].finish_reason,
                }
        finally:
            await client.close()
    # the upstream got the reference's request bodies
    sent = [normalise(seen_request.json(), upstream.base_url) for seen_request in upstream.seen if seen_request.body[:1] == b"{"]
    assert sent == [r["body"] for r in golden["requests"] if isinstance(r["body"], dict) and "raw" not in r["body"]]
    return seen, expected(golden["chunks"]), scenario


async def _streamed(client: openai.AsyncOpenAI, request: dict[str, Any]) -> dict[str, Any]:
    """The stream through the SDK's own accumulating helper, and the raw chunk objects."""
    reasoning = []
    async with client.chat.completions.stream(**request, stream_options={"include_usage": True}) as stream:
        async for event in stream:
            if event.type == "chunk":
                chunk = event.chunk
                assert chunk.object == "chat.completion.chunk" and chunk.model == "model-a"
                for choice in chunk.choices:
                    reasoning.append((choice.delta.model_extra or {}).get("reasoning_content") or "")
        final = await stream.get_final_completion()
    message = final.choices[0].message
    return {
        "text": message.content or "",
        "reasoning": "".join(reasoning),
        "tool_calls": [{"id": c.id, "name": c.function.name, "arguments": c.function.arguments} for c in message.tool_calls or []],
        "prompt_tokens": final.usage.prompt_tokens,
        "completion_tokens": final.usage.completion_tokens,
        "cached_tokens": final.usage.prompt_tokens_details.cached_tokens,
        "finish_reason": final.choices[0].finish_reason,
    }


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
@pytest.mark.parametrize("name", SELECTED)
async def test_sdk_sees_what_the_handler_yields(upstream: Upstream, name: str, stream: bool) -> None:
    seen, want, _ = await run(upstream, name, stream)
    finish = seen.pop("finish_reason")
    assert seen == want
    assert finish == ("tool_calls" if want["tool_calls"] else "stop")


def test_every_wire_format_is_covered() -> None:
    providers = {name.split("/")[0] for name in SELECTED}
    assert providers == {p.name for p in Path(SCENARIOS).iterdir() if p.is_dir()}
    for wire in ("openai", "anthropic", "gemini", "bedrock", "openrouter", "xai"):
        kinds = {
            chunk["type"] for name in SELECTED if name.startswith(f"{wire}/")
            for chunk in json.loads((SCENARIOS / name / "golden.json").read_text())["chunks"]
        }
        assert {"text", "reasoning", "usage"} <= kinds and kinds & {"tool_call_partial", "tool_call"}, (wire, kinds)
