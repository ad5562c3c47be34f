"""TODO: move to shared — stand-ins until ``transform/model_params.py`` lands.

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


from ._anthropic_fallback import (  # noqa: E402  the same stand-ins, written once
    _coalesce,
    get_model_max_output_tokens,
    should_use_reasoning_budget,
    should_use_reasoning_effort,
)

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
