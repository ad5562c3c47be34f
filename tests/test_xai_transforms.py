"""The Responses API transforms behind XAIHandler, as pure functions.

``providers.transform.responses_api_input`` (src/api/transform/responses-api-input.ts) and
``providers.transform.responses_api_stream`` (src/api/transform/responses-api-stream.ts) at
cb83656; every expected value here was also produced by the reference's own functions under Node.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from providers.js.jsonjs import dumps
from providers.transform.responses_api_input import convert_to_responses_api_input
from providers.transform.responses_api_stream import create_usage_normalizer, process_responses_api_stream


async def events(*items: Any) -> AsyncIterator[Any]:
    for item in items:
        yield item


def test_tool_use_without_input_and_results_without_text() -> None:
    """:47-54: ``JSON.stringify(part.input ?? {})``; :90-102: no content, an empty array or
    only images give ``(empty)``; blocks of other types (redacted thinking, documents) and a
    text block without text (its key left out, as JSON.stringify drops undefined) pass through
    as the switch says."""
    messages: list[dict[str, Any]] = [
        {"role": "assistant", "content": [{"type": "tool_use", "id": "c1", "name": "noop"}, {"type": "redacted_thinking", "data": "x"}, {"type": "text"}]},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "c1"},
                {"type": "tool_result", "tool_use_id": "c1", "content": []},
                {"type": "tool_result", "tool_use_id": "c1", "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA=="}}]},
                {"type": "document", "source": {"type": "text", "data": "ignored"}},
            ],
        },
    ]
    assert dumps(convert_to_responses_api_input(messages)) == dumps(
        [
            {"type": "function_call", "call_id": "c1", "name": "noop", "arguments": "{}"},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text"}]},
            {"type": "function_call_output", "call_id": "c1", "output": "(empty)"},
            {"type": "function_call_output", "call_id": "c1", "output": "(empty)"},
            {"type": "function_call_output", "call_id": "c1", "output": "(empty)"},
        ]
    )


def test_string_contents_keep_their_role() -> None:
    """:20-33: a string content is one ``input_text`` message with the message's role, or an
    assistant ``output_text`` message (which carries ``type: "message"``)."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": "¿Qué tal? 🤖"}, {"role": "assistant", "content": ""}]
    assert dumps(convert_to_responses_api_input(messages)) == dumps(
        [
            {"role": "user", "content": [{"type": "input_text", "text": "¿Qué tal? 🤖"}]},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": ""}]},
        ]
    )


async def test_usage_normalizer_with_a_cost_function() -> None:
    """createUsageNormalizer (:108-139): the calculator gets (input, output, cache read) tokens
    and its number becomes ``totalCost``, after ``reasoningTokens``."""
    seen: list[tuple[Any, ...]] = []

    def cost(input_tokens: Any, output_tokens: Any, cache_read_tokens: Any) -> float:
        seen.append((input_tokens, output_tokens, cache_read_tokens))
        return input_tokens * 0.5 + output_tokens * 1.5 + cache_read_tokens * 0.25

    usage = {"input_tokens": 1000, "output_tokens": 33, "input_tokens_details": {"cached_tokens": 100}, "output_tokens_details": {"reasoning_tokens": 12}}
    chunks = [c async for c in process_responses_api_stream(events({"type": "response.completed", "response": {"usage": usage}}), create_usage_normalizer(cost))]
    assert seen == [(1000, 33, 100)]
    assert chunks == [
        {"type": "usage", "inputTokens": 1000, "outputTokens": 33, "cacheWriteTokens": 0, "cacheReadTokens": 100, "reasoningTokens": 12, "totalCost": 574.5}
    ]
    assert list(chunks[0])[-2:] == ["reasoningTokens", "totalCost"]


async def test_events_without_a_known_type_yield_nothing() -> None:
    """Only the listed event types yield chunks; ``null``, numbers and strings as events read
    ``event?.type`` as undefined; usage that is missing, null or 0 yields no usage chunk."""
    stream = events(
        None,
        3,
        "response.output_text.delta",
        {"type": "response.created", "response": {"usage": None}},
        {"type": "response.output_text.done", "text": "whole"},
        {"type": ["response.output_text.delta"], "delta": "x"},
        {"type": "response.completed", "response": {}},
        {"type": "response.completed", "response": {"usage": 0}},
    )
    assert [c async for c in process_responses_api_stream(stream, create_usage_normalizer())] == []
