"""Port of ``src/shared/cost.ts`` (Roo-Code @ cb83656): API cost from token counts.

Prices are USD per million tokens; the arithmetic is the reference's, in its order, so costs are
the same IEEE doubles.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from ..js.jsonjs import js_string, js_truthy
from ..sdk.stainless import js_parse_float


class ApiCostResult(TypedDict):
    """``ApiCostResult``."""

    totalInputTokens: float
    totalOutputTokens: float
    totalCost: float


def _or_zero(value: Any) -> Any:
    """``value || 0``."""
    return value if js_truthy(value) else 0


# cost.ts: applyLongContextPricing
def apply_long_context_pricing(
    model_info: Mapping[str, Any], total_input_tokens: float, service_tier: str | None = None
) -> Mapping[str, Any]:
    """The model's prices times ``longContextPricing``'s multipliers above its threshold."""
    pricing: Any = model_info.get("longContextPricing")
    # `totalInputTokens <= pricing.thresholdTokens` is false against undefined (NaN); null is 0
    if not js_truthy(pricing) or (
        "thresholdTokens" in pricing and total_input_tokens <= _or_zero(pricing["thresholdTokens"])
    ):
        return model_info

    effective_service_tier = "default" if service_tier is None else service_tier
    applies_to = pricing.get("appliesToServiceTiers")
    if js_truthy(applies_to) and effective_service_tier not in applies_to:
        return model_info

    # `price !== undefined && multiplier !== undefined ? price * multiplier : price`: a null is
    # defined and multiplies as 0; an absent price stays absent, other keys are spread as they are
    result = dict(model_info)
    for price_key in ("inputPrice", "outputPrice", "cacheWritesPrice", "cacheReadsPrice"):
        multiplier_key = f"{price_key}Multiplier"
        if price_key in model_info and multiplier_key in pricing:
            price, multiplier = model_info[price_key], pricing[multiplier_key]
            result[price_key] = (0 if price is None else price) * (0 if multiplier is None else multiplier)
    return result


# cost.ts: calculateApiCostInternal
def calculate_api_cost_internal(
    model_info: Mapping[str, Any],
    input_tokens: float,
    output_tokens: float,
    cache_creation_input_tokens: float,
    cache_read_input_tokens: float,
    total_input_tokens: float,
    total_output_tokens: float,
) -> ApiCostResult:
    cache_writes_cost = (_or_zero(model_info.get("cacheWritesPrice")) / 1_000_000) * cache_creation_input_tokens
    cache_reads_cost = (_or_zero(model_info.get("cacheReadsPrice")) / 1_000_000) * cache_read_input_tokens
    base_input_cost = (_or_zero(model_info.get("inputPrice")) / 1_000_000) * input_tokens
    output_cost = (_or_zero(model_info.get("outputPrice")) / 1_000_000) * output_tokens
    total_cost = cache_writes_cost + cache_reads_cost + base_input_cost + output_cost
    return {
        "totalInputTokens": total_input_tokens,
        "totalOutputTokens": total_output_tokens,
        "totalCost": total_cost,
    }


# cost.ts: calculateApiCostAnthropic
def calculate_api_cost_anthropic(
    model_info: Mapping[str, Any],
    input_tokens: float,
    output_tokens: float,
    cache_creation_input_tokens: float | None = None,
    cache_read_input_tokens: float | None = None,
) -> ApiCostResult:
    """Anthropic usage: ``input_tokens`` does not include the cached tokens."""
    cache_creation = _or_zero(cache_creation_input_tokens)
    cache_read = _or_zero(cache_read_input_tokens)
    total_input_tokens = input_tokens + cache_creation + cache_read
    return calculate_api_cost_internal(
        model_info, input_tokens, output_tokens, cache_creation, cache_read, total_input_tokens, output_tokens
    )


# cost.ts: calculateApiCostOpenAI
def calculate_api_cost_openai(
    model_info: Mapping[str, Any],
    input_tokens: float,
    output_tokens: float,
    cache_creation_input_tokens: float | None = None,
    cache_read_input_tokens: float | None = None,
    service_tier: str | None = None,
) -> ApiCostResult:
    """OpenAI usage: ``input_tokens`` already includes the cached tokens."""
    cache_creation = _or_zero(cache_creation_input_tokens)
    cache_read = _or_zero(cache_read_input_tokens)
    non_cached_input_tokens = max(0, input_tokens - cache_creation - cache_read)
    effective_model_info = apply_long_context_pricing(model_info, input_tokens, service_tier)
    return calculate_api_cost_internal(
        effective_model_info,
        non_cached_input_tokens,
        output_tokens,
        cache_creation,
        cache_read,
        input_tokens,
        output_tokens,
    )


# cost.ts: parseApiPrice
def parse_api_price(price: Any) -> float | None:
    """``price ? parseFloat(price) * 1_000_000 : undefined`` (a price per token, per million)."""
    if not js_truthy(price):
        return None
    return js_parse_float(js_string(price)) * 1_000_000
