"""Port of ``src/shared/api.ts`` (Roo-Code @ cb83656): router names, the reasoning and the
max-tokens helpers.

``ModelInfo`` and ``ProviderSettings`` are plain dicts with the TypeScript (camelCase) keys; a
missing key is TS ``undefined``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final, Literal

from ..js.errors import JSError
from ..js.jsonjs import UNDEFINED, js_to_number, js_truthy
from ..types.anthropic import ANTHROPIC_DEFAULT_MAX_TOKENS

__all__ = [
    "ANTHROPIC_DEFAULT_MAX_TOKENS",
    "DEFAULT_HYBRID_REASONING_MODEL_MAX_TOKENS",
    "DEFAULT_HYBRID_REASONING_MODEL_THINKING_TOKENS",
    "GEMINI_25_PRO_MIN_THINKING_TOKENS",
    "Format",
    "DYNAMIC_PROVIDERS",
    "LOCAL_PROVIDERS",
    "is_router_name",
    "to_router_name",
    "should_use_reasoning_budget",
    "should_use_reasoning_effort",
    "get_model_max_output_tokens",
]

Format = Literal["anthropic", "openai", "gemini", "openrouter"]

_EMPTY: Mapping[str, Any] = {}

# packages/types/src/provider-settings.ts: dynamicProviders, localProviders
DYNAMIC_PROVIDERS: Final = ("openrouter", "vercel-ai-gateway", "litellm", "requesty", "roo", "unbound", "poe")
LOCAL_PROVIDERS: Final = ("ollama", "lmstudio")


# api.ts: isRouterName
def is_router_name(value: str) -> bool:
    """A provider whose models are fetched (dynamic) or served locally."""
    return value in DYNAMIC_PROVIDERS or value in LOCAL_PROVIDERS


# api.ts: toRouterName
def to_router_name(value: str | None = None) -> str:
    if value and is_router_name(value):
        return value
    raise JSError(f"Invalid router name: {'undefined' if value is None else value}")


# api.ts: shouldUseReasoningBudget
def should_use_reasoning_budget(model: Mapping[str, Any], settings: Mapping[str, Any] | None = None) -> bool:
    """A budget when the model requires one, or supports one and the settings enable reasoning."""
    settings = settings or _EMPTY
    return js_truthy(model.get("requiredReasoningBudget")) or (
        js_truthy(model.get("supportsReasoningBudget")) and js_truthy(settings.get("enableReasoningEffort"))
    )


# api.ts: shouldUseReasoningEffort
def should_use_reasoning_effort(model: Mapping[str, Any], settings: Mapping[str, Any] | None = None) -> bool:
    """An effort when the selected one (settings, else the model's) fits the model's capability."""
    settings = settings or _EMPTY
    # explicit off switch
    if settings.get("enableReasoningEffort") is False:
        return False
    selected_effort = settings.get("reasoningEffort")
    if selected_effort is None:
        selected_effort = model.get("reasoningEffort")
    # "disable" explicitly omits reasoning
    if selected_effort == "disable":
        return False
    cap = model.get("supportsReasoningEffort")
    # capability array: only a selected effort it includes ("none"/"minimal" count)
    if isinstance(cap, list):
        return js_truthy(selected_effort) and selected_effort in cap
    # boolean capability: a selected effort is required
    if cap is True:
        return js_truthy(selected_effort)
    # not explicitly supported: only a default effort of the model itself
    return js_truthy(model.get("reasoningEffort"))


DEFAULT_HYBRID_REASONING_MODEL_MAX_TOKENS: Final = 16_384
DEFAULT_HYBRID_REASONING_MODEL_THINKING_TOKENS: Final = 8_192
GEMINI_25_PRO_MIN_THINKING_TOKENS: Final = 128


# api.ts: getModelMaxOutputTokens
def get_model_max_output_tokens(
    model_id: str,
    model: Mapping[str, Any],
    settings: Mapping[str, Any] | None = None,
    format: Format | None = None,
) -> Any:
    """The max output tokens for a request; ``None`` (undefined) for a non-Anthropic format
    whose model names none."""
    settings = settings or _EMPTY
    if should_use_reasoning_budget(model, settings):
        custom = settings.get("modelMaxTokens")
        return custom if js_truthy(custom) else DEFAULT_HYBRID_REASONING_MODEL_MAX_TOKENS

    is_anthropic_context = (
        "claude" in model_id or format == "anthropic" or (format == "openrouter" and model_id.startswith("anthropic/"))
    )

    # "hybrid" reasoning models: the model's own maxTokens is discarded in Anthropic contexts
    if js_truthy(model.get("supportsReasoningBudget")) and is_anthropic_context:
        return ANTHROPIC_DEFAULT_MAX_TOKENS

    max_tokens = model.get("maxTokens")
    # Anthropic contexts always get a maxTokens
    if is_anthropic_context and (not js_truthy(max_tokens) or max_tokens == 0):
        return ANTHROPIC_DEFAULT_MAX_TOKENS

    # an explicit maxTokens is clamped to 20% of the context window, except for GPT-5 models
    if js_truthy(max_tokens):
        if "gpt-5" in model_id.lower():
            return max_tokens
        return _js_min(max_tokens, _js_ceil(_js_mul(model.get("contextWindow", UNDEFINED), 0.2)))

    # non-Anthropic formats without an explicit maxTokens
    if format:
        return None

    return ANTHROPIC_DEFAULT_MAX_TOKENS


def _js_mul(value: Any, factor: float) -> float:
    """``value * factor``: undefined (``UNDEFINED``) is NaN, null is 0 (``Number(value)``)."""
    return js_to_number(value) * factor


def _js_ceil(value: float) -> float | int:
    """``Math.ceil``: an int for finite values (JS numbers print without ``.0``), NaN kept."""
    return math.ceil(value) if math.isfinite(value) else value


def _js_min(a: Any, b: Any) -> Any:
    """``Math.min(a, b)``: NaN when either is NaN."""
    if (isinstance(a, float) and math.isnan(a)) or (isinstance(b, float) and math.isnan(b)):
        return math.nan
    return a if a <= b else b
