"""TODO: move to shared — stand-ins until ``transform/model_params.py`` and ``utils/cost.py`` land.

Minimal ports of what ``anthropic.py`` and ``anthropic_vertex.py`` need: ``getModelParams`` for ``format: "anthropic"``
(src/api/transform/model-params.ts with ``getAnthropicReasoning`` from reasoning.ts and
``shouldUseReasoningBudget`` / ``shouldUseReasoningEffort`` / ``getModelMaxOutputTokens`` from
src/shared/api.ts) and ``calculateApiCostAnthropic`` (src/shared/cost.ts). Delete this file once
the shared modules exist: the handlers import them first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

ANTHROPIC_DEFAULT_MAX_TOKENS = 8192
DEFAULT_HYBRID_REASONING_MODEL_MAX_TOKENS = 16_384
DEFAULT_HYBRID_REASONING_MODEL_THINKING_TOKENS = 8_192
GEMINI_25_PRO_MIN_THINKING_TOKENS = 128


def _coalesce(value: Any, default: Any) -> Any:
    return default if value is None else value


def should_use_reasoning_budget(model: Mapping[str, Any], settings: Mapping[str, Any]) -> bool:
    return bool(model.get("requiredReasoningBudget")) or (
        bool(model.get("supportsReasoningBudget")) and bool(settings.get("enableReasoningEffort"))
    )


def should_use_reasoning_effort(model: Mapping[str, Any], settings: Mapping[str, Any]) -> bool:
    if settings.get("enableReasoningEffort") is False:
        return False
    selected = _coalesce(settings.get("reasoningEffort"), model.get("reasoningEffort"))
    if selected == "disable":
        return False
    capability = model.get("supportsReasoningEffort")
    if isinstance(capability, list):
        return bool(selected) and selected in capability
    if capability is True:
        return bool(selected)
    return bool(model.get("reasoningEffort"))


def get_model_max_output_tokens(model_id: str, model: Mapping[str, Any], settings: Mapping[str, Any], format: str) -> Any:
    if should_use_reasoning_budget(model, settings):
        return settings.get("modelMaxTokens") or DEFAULT_HYBRID_REASONING_MODEL_MAX_TOKENS
    is_anthropic_context = "claude" in model_id or format == "anthropic" or (
        format == "openrouter" and model_id.startswith("anthropic/")
    )
    if model.get("supportsReasoningBudget") and is_anthropic_context:
        return ANTHROPIC_DEFAULT_MAX_TOKENS
    if is_anthropic_context and not model.get("maxTokens"):
        return ANTHROPIC_DEFAULT_MAX_TOKENS
    if model.get("maxTokens"):
        if "gpt-5" in model_id.lower():
            return model["maxTokens"]
        return min(model["maxTokens"], math.ceil(model["contextWindow"] * 0.2))
    return None


def get_model_params(
    *,
    format: str,
    model_id: str,
    model: Mapping[str, Any],
    settings: Mapping[str, Any],
    default_temperature: Any,
) -> dict[str, Any]:
    """``getModelParams`` for ``format: "anthropic"`` (keys with undefined values left out)."""
    max_tokens = get_model_max_output_tokens(model_id, model, settings, format)
    temperature = _coalesce(settings.get("modelTemperature"), _coalesce(model.get("defaultTemperature"), default_temperature))
    reasoning_budget: Any = None
    reasoning_effort: Any = None
    if should_use_reasoning_budget(model, settings):
        is_gemini_25_pro = "gemini-2.5-pro" in model_id
        default_thinking = GEMINI_25_PRO_MIN_THINKING_TOKENS if is_gemini_25_pro else DEFAULT_HYBRID_REASONING_MODEL_THINKING_TOKENS
        reasoning_budget = _coalesce(settings.get("modelMaxThinkingTokens"), default_thinking)
        if max_tokens and reasoning_budget > math.floor(max_tokens * 0.8):
            reasoning_budget = math.floor(max_tokens * 0.8)
        min_thinking = GEMINI_25_PRO_MIN_THINKING_TOKENS if is_gemini_25_pro else 1024
        reasoning_budget = max(reasoning_budget, min_thinking)
        temperature = 1.0
    elif should_use_reasoning_effort(model, settings):
        effort = _coalesce(settings.get("reasoningEffort"), model.get("reasoningEffort"))
        if effort and effort != "disable":
            reasoning_effort = effort
    reasoning = (
        {"type": "enabled", "budget_tokens": reasoning_budget} if should_use_reasoning_budget(model, settings) else None
    )
    params = {
        "format": format,
        "maxTokens": max_tokens,
        "temperature": temperature,
        "reasoningEffort": reasoning_effort,
        "reasoningBudget": reasoning_budget,
        "verbosity": settings.get("verbosity"),
        "reasoning": reasoning,
    }
    return {k: v for k, v in params.items() if v is not None}


def calculate_api_cost_anthropic(
    model_info: Mapping[str, Any],
    input_tokens: float,
    output_tokens: float,
    cache_creation_input_tokens: float | None = None,
    cache_read_input_tokens: float | None = None,
) -> dict[str, float]:
    """``calculateApiCostAnthropic``: input tokens exclude the cached ones."""
    cache_creation = cache_creation_input_tokens or 0
    cache_read = cache_read_input_tokens or 0
    cache_writes_cost = ((model_info.get("cacheWritesPrice") or 0) / 1_000_000) * cache_creation
    cache_reads_cost = ((model_info.get("cacheReadsPrice") or 0) / 1_000_000) * cache_read
    base_input_cost = ((model_info.get("inputPrice") or 0) / 1_000_000) * input_tokens
    output_cost = ((model_info.get("outputPrice") or 0) / 1_000_000) * output_tokens
    return {
        "totalInputTokens": input_tokens + cache_creation + cache_read,
        "totalOutputTokens": output_tokens,
        "totalCost": cache_writes_cost + cache_reads_cost + base_input_cost + output_cost,
    }
