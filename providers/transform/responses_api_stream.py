"""Responses API stream events → ApiStream chunks: port of ``src/api/transform/responses-api-stream.ts``
(Roo-Code @ cb83656).

``process_responses_api_stream`` handles the events every Responses API provider shares: text
and reasoning deltas, function call argument deltas (``tool_call_partial``), completed function
calls (``tool_call``) and the usage of ``response.completed``; ``create_usage_normalizer`` turns
that usage into a ``usage`` chunk. Values are read with JavaScript's ``||`` / ``??`` semantics;
a chunk key whose TypeScript value would be ``undefined`` is left out.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable
from typing import Any

from ..js.jsonjs import dumps, js_is_number, js_truthy
from .stream import ApiStream, ApiStreamToolCallPartialChunk, ApiStreamUsageChunk

UsageNormalizer = Callable[[Any], "ApiStreamUsageChunk | None"]
CostCalculator = Callable[[Any, Any, Any], Any]

_UNDEFINED: Any = object()

_TEXT_EVENTS = frozenset({"response.output_text.delta", "response.text.delta"})
_REASONING_EVENTS = frozenset(
    {
        "response.reasoning_text.delta",
        "response.reasoning.delta",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary.delta",
    }
)
_ARGUMENTS_EVENTS = frozenset({"response.function_call_arguments.delta", "response.tool_call_arguments.delta"})
_COMPLETION_EVENTS = frozenset({"response.completed", "response.done"})


def _get(value: Any, key: str) -> Any:
    """``value?.[key]`` on a parsed JSON value; ``_UNDEFINED`` when there is no such property."""
    return value.get(key, _UNDEFINED) if isinstance(value, dict) else _UNDEFINED


def _truthy(value: Any) -> bool:
    """JavaScript truthiness, ``undefined`` included."""
    return value is not _UNDEFINED and js_truthy(value)


def _or(*values: Any) -> Any:
    """``a || b || …``: the first truthy value, else the last one."""
    for value in values[:-1]:
        if _truthy(value):
            return value
    return values[-1]


def _nullish(value: Any) -> bool:
    return value is None or value is _UNDEFINED


# responses-api-stream.ts: processResponsesApiStream
async def process_responses_api_stream(
    stream: AsyncIterable[Any], normalize_usage: UsageNormalizer
) -> ApiStream:
    """The ApiStream chunks for a Responses API event stream, in order."""
    async for event in stream:
        event_type = _get(event, "type")
        if not isinstance(event_type, str):
            continue  # matches none of the cases below

        # text content deltas
        if event_type in _TEXT_EVENTS:
            delta = _get(event, "delta")
            if _truthy(delta):
                yield {"type": "text", "text": delta}
            continue

        # reasoning deltas
        if event_type in _REASONING_EVENTS:
            delta = _get(event, "delta")
            if _truthy(delta):
                yield {"type": "reasoning", "text": delta}
            continue

        # output items: completed function calls
        if event_type == "response.output_item.done":
            item = _get(event, "item")
            if _get(item, "type") in ("function_call", "tool_call"):
                function = _get(item, "function")
                call_id = _or(_get(item, "call_id"), _get(item, "tool_call_id"), _get(item, "id"))
                name = _or(_get(item, "name"), _get(function, "name"))
                args_raw = _or(_get(item, "arguments"), _get(function, "arguments"), _get(item, "input"))
                if isinstance(args_raw, str):
                    args = args_raw
                elif isinstance(args_raw, (dict, list)):
                    args = dumps(args_raw)
                else:
                    args = ""
                if isinstance(call_id, str) and call_id and isinstance(name, str) and name:
                    yield {"type": "tool_call", "id": call_id, "name": name, "arguments": args}
            continue

        # function call argument deltas (streaming tool calls)
        if event_type in _ARGUMENTS_EVENTS:
            call_id = _or(_get(event, "call_id"), _get(event, "tool_call_id"), _get(event, "id"), _get(event, "item_id"))
            name = _or(_get(event, "name"), _get(event, "function_name"))
            if isinstance(call_id, str) and call_id:
                index = _get(event, "index")
                delta = _get(event, "delta")
                chunk: ApiStreamToolCallPartialChunk = {
                    "type": "tool_call_partial",
                    "index": 0 if _nullish(index) else index,
                    "id": call_id,
                }
                if name is not _UNDEFINED:
                    chunk["name"] = name
                chunk["arguments"] = delta if isinstance(delta, str) else ""
                yield chunk
            continue

        # completion: the usage
        if event_type in _COMPLETION_EVENTS:
            usage = _or(_get(_get(event, "response"), "usage"), _get(event, "usage"))
            usage_data = normalize_usage(None if usage is _UNDEFINED else usage)
            if usage_data:
                yield usage_data
            continue


# responses-api-stream.ts: createUsageNormalizer
def create_usage_normalizer(calculate_cost: CostCalculator | None = None) -> UsageNormalizer:
    """A normaliser of Responses (or Chat Completions) usage into a ``usage`` chunk; with
    ``calculate_cost(input_tokens, output_tokens, cache_read_tokens)`` it adds ``totalCost``."""

    def normalize_usage(usage: Any) -> ApiStreamUsageChunk | None:
        if not js_truthy(usage):
            return None

        def first(*keys: str, default: Any) -> Any:
            """``usage.a ?? usage.b ?? … ?? default``."""
            for key in keys:
                value = _get(usage, key)
                if not _nullish(value):
                    return value
            return default

        input_details = first("input_tokens_details", "prompt_tokens_details", default=None)
        cached_tokens = _get(input_details, "cached_tokens")
        if _nullish(cached_tokens):
            cached_tokens = 0

        input_tokens = first("input_tokens", "prompt_tokens", default=0)
        output_tokens = first("output_tokens", "completion_tokens", default=0)
        cache_read_tokens = first("cache_read_input_tokens", default=cached_tokens)
        cache_write_tokens = first("cache_creation_input_tokens", "cache_write_tokens", default=0)
        reasoning_tokens = _get(_get(usage, "output_tokens_details"), "reasoning_tokens")
        total_cost: Any = calculate_cost(input_tokens, output_tokens, cache_read_tokens) if calculate_cost else None

        chunk: ApiStreamUsageChunk = {
            "type": "usage",
            "inputTokens": input_tokens,
            "outputTokens": output_tokens,
            "cacheWriteTokens": cache_write_tokens,
            "cacheReadTokens": cache_read_tokens,
        }
        if js_is_number(reasoning_tokens):
            chunk["reasoningTokens"] = reasoning_tokens
        if js_is_number(total_cost):
            chunk["totalCost"] = total_cost
        return chunk

    return normalize_usage
