"""Port of ``src/api/transform/model-params.ts`` (Roo-Code @ cb83656): ``getModelParams`` for the
four formats (anthropic, openai, gemini, openrouter).

The result is a dict in the TS object's key order (``format``, ``maxTokens``, ``temperature``,
``reasoningEffort``, ``reasoningBudget``, ``verbosity``, ``reasoning``); keys whose TS value is
``undefined`` are left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..utils.api import (
    DEFAULT_HYBRID_REASONING_MODEL_THINKING_TOKENS,
    GEMINI_25_PRO_MIN_THINKING_TOKENS,
    Format,
    get_model_max_output_tokens,
    should_use_reasoning_budget,
    should_use_reasoning_effort,
)
from .reasoning import (
    get_anthropic_reasoning,
    get_gemini_reasoning,
    get_open_ai_reasoning,
    get_open_router_reasoning,
)

_REASONING = {
    "anthropic": get_anthropic_reasoning,
    "openai": get_open_ai_reasoning,
    "gemini": get_gemini_reasoning,
    "openrouter": get_open_router_reasoning,
}


# model-params.ts: getModelParams
def get_model_params(
    *,
    format: Format,
    model_id: str,
    model: Mapping[str, Any],
    settings: Mapping[str, Any],
    default_temperature: float,
) -> dict[str, Any]:
    """maxTokens, temperature, reasoning budget/effort, verbosity and the format's reasoning."""
    custom_max_thinking_tokens = settings.get("modelMaxThinkingTokens")
    custom_temperature = settings.get("modelTemperature")
    custom_reasoning_effort = settings.get("reasoningEffort")

    # the centralized maxTokens logic
    max_tokens = get_model_max_output_tokens(model_id, model, settings, format)

    temperature: Any = custom_temperature
    if temperature is None:
        temperature = model.get("defaultTemperature")
    if temperature is None:
        temperature = default_temperature
    reasoning_budget: Any = None
    reasoning_effort: Any = None
    verbosity = settings.get("verbosity")

    if should_use_reasoning_budget(model, settings):
        # Gemini 2.5 Pro defaults to (and may go down to) 128 thinking tokens, others 8192 / 1024
        is_gemini_25_pro = "gemini-2.5-pro" in model_id
        default_thinking_tokens = (
            GEMINI_25_PRO_MIN_THINKING_TOKENS if is_gemini_25_pro else DEFAULT_HYBRID_REASONING_MODEL_THINKING_TOKENS
        )
        reasoning_budget = default_thinking_tokens if custom_max_thinking_tokens is None else custom_max_thinking_tokens

        # reasoning cannot exceed 80% of maxTokens
        if max_tokens and reasoning_budget > math.floor(max_tokens * 0.8):
            reasoning_budget = math.floor(max_tokens * 0.8)

        min_thinking_tokens = GEMINI_25_PRO_MIN_THINKING_TOKENS if is_gemini_25_pro else 1024
        if reasoning_budget < min_thinking_tokens:
            reasoning_budget = min_thinking_tokens

        # "hybrid" reasoning models take temperature 1.0, as Anthropic's do
        temperature = 1.0
    elif should_use_reasoning_effort(model, settings):
        # the model's default only when the user set nothing (`!== undefined`: an explicit null is
        # kept, and omits the effort); "disable" is an omission too
        effort = custom_reasoning_effort if "reasoningEffort" in settings else model.get("reasoningEffort")
        if effort and effort != "disable":
            reasoning_effort = effort

    if format == "openai":
        # o1 and o3-mini take no temperature
        if model_id.startswith("o1") or model_id.startswith("o3-mini"):
            temperature = None
    elif format == "openrouter":
        # o1-pro takes no temperature (OpenRouter's supported_parameters say otherwise)
        if model_id == "openai/o1-pro":
            temperature = None

    reasoning = _REASONING[format](
        model=model, reasoning_budget=reasoning_budget, reasoning_effort=reasoning_effort, settings=settings
    )
    params = {
        "format": format,
        "maxTokens": max_tokens,
        "temperature": temperature,
        "reasoningEffort": reasoning_effort,
        "reasoningBudget": reasoning_budget,
        "verbosity": verbosity,
        "reasoning": reasoning,
    }
    # undefined values are left out; a null verbosity is the setting's own value (`verbosity =
    # customVerbosity`), kept like any other
    return {
        key: value
        for key, value in params.items()
        if value is not None or (key == "verbosity" and "verbosity" in settings)
    }
