"""The transforms under OpenAiHandler (and the OpenRouter/xAI handlers), rule by rule.

Each expectation is what the reference's own functions at cb83656 return for the same input,
run under Node 20 (``src/api/transform/openai-format.ts``, ``r1-format.ts``,
``model-params.ts``, ``src/utils/tag-matcher.ts``,
``src/api/providers/utils/error-handler.ts``, ``timeout-config.ts``) and Node's own ``new URL``.
The docstrings name the rule each case pins.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from providers.js.errors import JSError
from providers.js.jsonjs import dumps
from providers.js.whatwg_url import url_host
from providers.transform.model_params import get_model_params
from providers.transform.openai_format import (
    consolidate_reasoning_details,
    convert_to_openai_messages,
    sanitize_gemini_messages,
)
from providers.transform.r1_format import convert_to_r1_format
from providers.utils import timeout_config
from providers.utils.cost import apply_long_context_pricing, calculate_api_cost_openai
from providers.utils.error_handler import handle_provider_error
from providers.utils.tag_matcher import TagMatcher, TagMatcherResult


def test_consolidate_reasoning_details() -> None:
    """Per index: texts concatenated with the last signature and format; encrypted blocks without
    data dropped and only the last one with data kept; a summary-only group keeps its summary."""
    details = [
        {"type": "reasoning.text", "text": "Let me ", "index": 0, "format": "anthropic-claude-v1"},
        {"type": "reasoning.text", "text": "think.", "signature": "sig1", "index": 0},
        {"type": "reasoning.encrypted", "index": 1},
        {"type": "reasoning.encrypted", "data": "AAA", "id": "rs_1", "index": 1, "format": "openai-responses-v1"},
        {"type": "reasoning.encrypted", "data": "BBB", "index": 1},
        {"type": "reasoning.summary", "summary": "Short.", "index": 2},
    ]
    assert consolidate_reasoning_details(details) == [
        {"type": "reasoning.text", "text": "Let me think.", "signature": "sig1", "format": "anthropic-claude-v1", "index": 0},
        {"type": "reasoning.encrypted", "data": "BBB", "index": 1},
        {"type": "reasoning.summary", "summary": "Short.", "format": "unknown", "index": 2},
    ]


def test_sanitize_gemini_messages_drops_unsigned_tool_calls() -> None:
    """A Gemini model's history keeps only tool calls with a reasoning detail of the same id (plus
    id-less legacy details, consolidated), and loses the results of the calls dropped."""
    messages = [
        {"role": "assistant", "content": "Calling.", "tool_calls": [{"id": "call_a", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_a", "content": "A"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_b", "type": "function", "function": {"name": "f", "arguments": "{}"}},
                {"id": "call_c", "type": "function", "function": {"name": "g", "arguments": "{}"}},
            ],
            "reasoning_details": [
                {"type": "reasoning.encrypted", "data": "SIG", "id": "call_b", "format": "google-gemini-v1", "index": 0},
                {"type": "reasoning.text", "text": "legacy"},
            ],
        },
        {"role": "tool", "tool_call_id": "call_b", "content": "B"},
        {"role": "tool", "tool_call_id": "call_c", "content": "C"},
    ]
    assert sanitize_gemini_messages(messages, "google/gemini-3-pro-preview") == [
        {"role": "assistant", "content": "Calling."},
        {
            "role": "assistant",
            "content": "",
            "reasoning_details": [
                {"type": "reasoning.text", "text": "legacy", "id": "call_b", "format": "google-gemini-v1", "index": 0},
                {"type": "reasoning.encrypted", "data": "SIG", "id": "call_b", "format": "google-gemini-v1", "index": 0},
            ],
            "tool_calls": [{"id": "call_b", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "call_b", "content": "B"},
    ]
    assert sanitize_gemini_messages(messages, "gpt-4o") is messages


def test_convert_with_merged_tool_result_text_and_normalised_ids() -> None:
    """``mergeToolResultText`` appends the text after tool results to the last tool message;
    ``normalizeToolCallId`` rewrites tool_use and tool_result ids alike; reasoning_details go
    before tool_calls, openai-responses-v1 ones without their id."""
    messages = [
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "Run."}, {"type": "tool_use", "id": "toolu.01:x", "name": "run", "input": {"cmd": "ls"}}],
            "reasoning_details": [
                {"type": "reasoning.encrypted", "data": "E", "id": "rs_9", "format": "openai-responses-v1"},
                {"type": "reasoning.text", "text": "hm", "id": "r2", "format": "xai-responses-v1"},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu.01:x", "content": [{"type": "text", "text": "a.txt"}]},
                {"type": "text", "text": "<env/>"},
                {"type": "text", "text": "more"},
            ],
        },
    ]
    converted = convert_to_openai_messages(
        messages,
        {"merge_tool_result_text": True, "normalize_tool_call_id": lambda id_: re.sub(r"[^a-zA-Z0-9_-]", "_", id_)},
    )
    assert dumps(converted) == dumps(
        [
            {
                "role": "assistant",
                "content": "Run.",
                "reasoning_details": [
                    {"type": "reasoning.encrypted", "data": "E", "format": "openai-responses-v1"},
                    {"type": "reasoning.text", "text": "hm", "id": "r2", "format": "xai-responses-v1"},
                ],
                "tool_calls": [{"id": "toolu_01_x", "type": "function", "function": {"name": "run", "arguments": '{"cmd":"ls"}'}}],
            },
            {"role": "tool", "tool_call_id": "toolu_01_x", "content": "a.txt\n\n<env/>\nmore"},
        ]
    )


def test_r1_format_merges_text_into_the_tool_message() -> None:
    """r1-format.ts with ``mergeToolResultText``: text after tool results joins the last tool
    message (images in a tool result are "(image)"); reasoning_content is kept after tool_calls."""
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "Go."},
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "Reading."}, {"type": "tool_use", "id": "call_1", "name": "read", "input": {"p": 1}}],
            "reasoning_content": "Plan.",
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "call_1",
                    "content": [{"type": "text", "text": "one"}, {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "x"}}],
                },
                {"type": "text", "text": "<env/>"},
            ],
        },
    ]
    assert dumps(convert_to_r1_format(messages, merge_tool_result_text=True)) == dumps(
        [
            {"role": "user", "content": "Go."},
            {
                "role": "assistant",
                "content": "Reading.",
                "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "read", "arguments": '{"p":1}'}}],
                "reasoning_content": "Plan.",
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "one\n(image)\n\n<env/>"},
        ]
    )


@pytest.mark.parametrize(
    ("format_", "model_id", "model", "settings", "expected"),
    [
        pytest.param(
            "openai", "o1-preview", {"maxTokens": 32768, "contextWindow": 128000}, {"modelTemperature": 0.5},
            {"format": "openai", "maxTokens": 25600},
            id="o1-has-no-temperature-and-20-percent-cap",
        ),
        pytest.param(
            "openrouter", "openai/o1-pro", {"maxTokens": 100000, "contextWindow": 200000, "supportsReasoningEffort": True}, {"reasoningEffort": "high"},
            {"format": "openrouter", "maxTokens": 40000, "reasoningEffort": "high", "reasoning": {"effort": "high"}},
            id="o1-pro-on-openrouter",
        ),
        pytest.param(
            "anthropic", "claude-3-7-sonnet", {"maxTokens": 64000, "contextWindow": 200000, "supportsReasoningBudget": True},
            {"enableReasoningEffort": True, "modelMaxTokens": 10000, "modelMaxThinkingTokens": 9000},
            {"format": "anthropic", "maxTokens": 10000, "temperature": 1, "reasoningBudget": 8000, "reasoning": {"type": "enabled", "budget_tokens": 8000}},
            id="budget-capped-at-80-percent",
        ),
        pytest.param(
            "gemini", "gemini-2.5-pro", {"maxTokens": 64000, "contextWindow": 1048576, "requiredReasoningBudget": True}, {"modelMaxThinkingTokens": 50},
            {"format": "gemini", "maxTokens": 16384, "temperature": 1, "reasoningBudget": 128, "reasoning": {"thinkingBudget": 128, "includeThoughts": True}},
            id="gemini-25-pro-minimum-128",
        ),
        pytest.param(
            "openai", "gpt-5-mini",
            {"maxTokens": 128000, "contextWindow": 400000, "supportsReasoningEffort": ["minimal", "low", "medium", "high"], "reasoningEffort": "medium"},
            {"reasoningEffort": "disable"},
            {"format": "openai", "maxTokens": 128000, "temperature": 0},
            id="gpt-5-uncapped-and-disable",
        ),
    ],
)
def test_get_model_params(format_: Any, model_id: str, model: dict[str, Any], settings: dict[str, Any], expected: dict[str, Any]) -> None:
    """model-params.ts: undefined keys left out, key order as the TS object's."""
    params = get_model_params(format=format_, model_id=model_id, model=model, settings=settings, default_temperature=0)
    assert params == expected
    assert list(params) == list(expected)


def test_tag_matcher_position() -> None:
    """tag-matcher.ts: with ``position`` 2 a tag may open among the first three characters; a
    run is emitted once a character after it is seen, so a partial closing tag waits."""
    matcher = TagMatcher("think", None, 2)
    assert matcher.update("\n <think>a</th") == [TagMatcherResult(False, "\n "), TagMatcherResult(True, "a")]
    assert matcher.update("ink> b") == [TagMatcherResult(False, " b")]
    assert matcher.final() == []


def test_handle_provider_error() -> None:
    """error-handler.ts: OpenRouter's ``error.metadata.raw`` wins over the message; status and
    code are kept; a thrown non-Error is ``String(value)`` and keeps a numeric status."""
    upstream = JSError("400 Provider returned error", status=400, code="c1", error={"message": "x", "metadata": {"raw": '{"detail":"bad"}'}})
    wrapped = handle_provider_error(upstream, "OpenRouter")
    assert (wrapped.message, wrapped.status, wrapped.code) == ('OpenRouter completion error: {"detail":"bad"}', 400, "c1")
    plain = handle_provider_error({"status": 429, "message": "m"}, "OpenAI")
    assert (plain.message, plain.status) == ("OpenAI completion error: [object Object]", 429)
    assert handle_provider_error("boom", "xAI", message_prefix="streaming").message == "xAI streaming error: boom"
    assert handle_provider_error(JSError(""), "OpenAI").message == "OpenAI completion error: "


@pytest.mark.parametrize(
    ("configured", "expected"),
    [(None, 600_000), (30, 30_000), (0, None), (-5, None), ("600", 600_000), (float("nan"), 600_000)],
)
def test_api_request_timeout(configured: Any, expected: float | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """timeout-config.ts: seconds to ms; 0 or less is no timeout of ours; a non-number the default."""
    configuration = {} if configured is None else {"apiRequestTimeout": configured}
    monkeypatch.setattr(timeout_config, "WORKSPACE_CONFIGURATION", configuration)
    assert timeout_config.get_api_request_timeout() == expected


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://127.0.0.1:8080/v1", "127.0.0.1:8080"),
        ("https://Foo.OpenAI.Azure.com/openai", "foo.openai.azure.com"),
        ("https://a.services.ai.azure.com:443/models", "a.services.ai.azure.com"),
        ("https://user:pw@h.x.ai:444/v1", "h.x.ai:444"),
        ("https:api.x.ai", "api.x.ai"),
        ("abc://Host:99/p", "Host:99"),
        ("abc:foo", ""),
        ("http://[::1]:8080/", "[::1]:8080"),
        ("https://h:0080/", "h:80"),
    ],
)
def test_url_host(url: str, host: str) -> None:
    """``new URL(url).host`` as Node 20 gives it (what openai.ts's _getUrlHost branches on)."""
    assert url_host(url) == host


@pytest.mark.parametrize("url", ["", "api.openai.com/v1", "https://h:99999/", "https://a b/"])
def test_url_host_invalid(url: str) -> None:
    with pytest.raises(JSError, match="Invalid URL"):
        url_host(url)


def test_explicit_null_reasoning_effort_is_not_replaced_by_the_model_default() -> None:
    """model-params.ts: ``customReasoningEffort !== undefined ? customReasoningEffort : model.reasoningEffort``
    (shouldUseReasoningEffort still falls back with ``??``, so the branch is taken, and a null
    effort is then omitted)."""
    model = {"maxTokens": 8192, "contextWindow": 131072, "supportsReasoningEffort": True, "reasoningEffort": "low"}
    absent = get_model_params(format="openai", model_id="grok-3-mini", model=model, settings={}, default_temperature=0)
    null = get_model_params(format="openai", model_id="grok-3-mini", model=model, settings={"reasoningEffort": None}, default_temperature=0)
    assert absent["reasoningEffort"] == "low"
    assert "reasoningEffort" not in null


def test_explicit_null_verbosity_is_kept() -> None:
    """model-params.ts:101 and 147: ``let verbosity = customVerbosity`` goes into the params as it
    is, so a null setting stays null (only undefined is left out)."""
    model = {"maxTokens": 8192, "contextWindow": 131072}
    null = get_model_params(format="openai", model_id="gpt-4.1", model=model, settings={"verbosity": None}, default_temperature=0)
    absent = get_model_params(format="openai", model_id="gpt-4.1", model=model, settings={}, default_temperature=0)
    assert "verbosity" in null and null["verbosity"] is None
    assert "verbosity" not in absent


def test_long_context_pricing_null_is_a_defined_value() -> None:
    """cost.ts:22-37: ``price !== undefined && multiplier !== undefined ? price * multiplier :
    price``: a null multiplier (or price) is defined and multiplies as 0; the spread keeps the
    model's other null fields. Checked against the reference function under Node."""
    info = {
        "maxTokens": None,
        "inputPrice": 3,
        "outputPrice": None,
        "cacheReadsPrice": 0.3,
        "longContextPricing": {"thresholdTokens": 200000, "inputPriceMultiplier": None, "outputPriceMultiplier": 1.5, "cacheReadsPriceMultiplier": 2},
    }
    assert dumps(apply_long_context_pricing(info, 300000)) == (
        '{"maxTokens":null,"inputPrice":0,"outputPrice":0,"cacheReadsPrice":0.6,"longContextPricing":'
        '{"thresholdTokens":200000,"inputPriceMultiplier":null,"outputPriceMultiplier":1.5,"cacheReadsPriceMultiplier":2}}'
    )
    assert calculate_api_cost_openai(info, 300000, 0)["totalCost"] == 0


@pytest.mark.parametrize(
    ("threshold", "tokens", "input_price"), [({}, 10, 6), ({"thresholdTokens": None}, 0, 3), ({"thresholdTokens": None}, 1, 6)]
)
def test_long_context_pricing_threshold_undefined_or_null(threshold: dict[str, Any], tokens: int, input_price: int) -> None:
    """cost.ts:12: ``totalInputTokens <= pricing.thresholdTokens`` is false against undefined
    (NaN), so the long-context prices apply; null compares as 0."""
    info = {"inputPrice": 3, "longContextPricing": {**threshold, "inputPriceMultiplier": 2}}
    assert apply_long_context_pricing(info, tokens)["inputPrice"] == input_price


def test_url_search_params_encodes_like_the_whatwg_serializer() -> None:
    """``new URLSearchParams([["a", "x y~*-._!"]]).toString()`` is ``a=x+y%7E*-._%21`` in Node 20."""
    from providers.js.whatwg_url import url_search_params

    assert url_search_params([("a", "x y~*-._!")]) == "a=x+y%7E*-._%21"
