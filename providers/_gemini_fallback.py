"""TODO: move to shared — stand-ins until ``base_provider.py`` and ``transform/model_params.py`` land.

Minimal ports of what ``gemini.py`` needs from ``src/shared/api.ts`` (``shouldUseReasoningBudget``,
``shouldUseReasoningEffort``, ``getModelMaxOutputTokens``), ``src/api/transform/reasoning.ts``
(``getGeminiReasoning``) and ``src/api/transform/model-params.ts`` (``getModelParams``, gemini
format only). Delete this file once the shared modules exist: ``gemini.py`` imports them first.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

ANTHROPIC_DEFAULT_MAX_TOKENS = 8192
DEFAULT_HYBRID_REASONING_MODEL_MAX_TOKENS = 16_384
DEFAULT_HYBRID_REASONING_MODEL_THINKING_TOKENS = 8_192
GEMINI_25_PRO_MIN_THINKING_TOKENS = 128
GEMINI_THINKING_LEVELS = ("minimal", "low", "medium", "high")


class BaseProvider:
    """``BaseProvider`` without ``countTokens`` (which needs the shared tiktoken port)."""


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


def get_gemini_reasoning(
    model: Mapping[str, Any], reasoning_budget: Any, settings: Mapping[str, Any]
) -> dict[str, Any] | None:
    if should_use_reasoning_budget(model, settings):
        return {"thinkingBudget": reasoning_budget, "includeThoughts": True}
    selected = _coalesce(settings.get("reasoningEffort"), model.get("reasoningEffort"))
    if not selected or selected == "disable":
        return None
    capability = model.get("supportsReasoningEffort")
    effort = (
        model.get("reasoningEffort")
        if isinstance(capability, list) and selected in GEMINI_THINKING_LEVELS and selected not in capability
        else selected
    )
    if not effort or effort not in GEMINI_THINKING_LEVELS:
        return None
    return {"thinkingLevel": effort, "includeThoughts": True}


def get_model_params(
    *,
    format: str,
    model_id: str,
    model: Mapping[str, Any],
    settings: Mapping[str, Any],
    default_temperature: Any,
) -> dict[str, Any]:
    """``getModelParams`` for ``format: "gemini"`` (keys with undefined values left out)."""
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
        if reasoning_budget < min_thinking:
            reasoning_budget = min_thinking
        temperature = 1.0
    elif should_use_reasoning_effort(model, settings):
        effort = _coalesce(settings.get("reasoningEffort"), model.get("reasoningEffort"))
        if effort and effort != "disable":
            reasoning_effort = effort
    params = {
        "format": format,
        "maxTokens": max_tokens,
        "temperature": temperature,
        "reasoningEffort": reasoning_effort,
        "reasoningBudget": reasoning_budget,
        "verbosity": settings.get("verbosity"),
        "reasoning": get_gemini_reasoning(model, reasoning_budget, settings),
    }
    return {k: v for k, v in params.items() if v is not None}
