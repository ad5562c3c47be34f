"""Port of what the provider layer reads from ``packages/types/src/model.ts`` (Roo-Code @ cb83656).

``modelParameters`` / ``isModelParameter``, and ``modelInfoSchema`` as a ``providers.js.zod``
schema (the model cache checks a disk cache file with it).
"""

from __future__ import annotations

from typing import Final

from ..js import zod as z

MODEL_PARAMETERS: Final = ("max_tokens", "temperature", "reasoning", "include_reasoning")

REASONING_EFFORTS_EXTENDED: Final = ("none", "minimal", "low", "medium", "high", "xhigh")
REASONING_EFFORT_SETTING_VALUES: Final = ("disable", "none", "minimal", "low", "medium", "high", "xhigh")
SERVICE_TIERS: Final = ("default", "flex", "priority")


# model.ts: isModelParameter
def is_model_parameter(value: str) -> bool:
    return value in MODEL_PARAMETERS


_N, _O, _R = z.NULLISH, z.OPTIONAL, z.REQUIRED

MODEL_INFO_SCHEMA: Final = z.object_(
    {
        "maxTokens": (z.number, _N),
        "maxThinkingTokens": (z.number, _N),
        "contextWindow": (z.number, _R),
        "supportsImages": (z.boolean, _O),
        "supportsPromptCache": (z.boolean, _R),
        "promptCacheRetention": (z.enum("in_memory", "24h"), _O),
        "supportsVerbosity": (z.boolean, _O),
        "supportsReasoningBudget": (z.boolean, _O),
        "supportsReasoningBinary": (z.boolean, _O),
        "supportsTemperature": (z.boolean, _O),
        "defaultTemperature": (z.number, _O),
        "requiredReasoningBudget": (z.boolean, _O),
        "supportsReasoningEffort": (z.union(z.boolean, z.array(z.enum(*REASONING_EFFORT_SETTING_VALUES))), _O),
        "requiredReasoningEffort": (z.boolean, _O),
        "preserveReasoning": (z.boolean, _O),
        "supportedParameters": (z.array(z.enum(*MODEL_PARAMETERS)), _O),
        "inputPrice": (z.number, _O),
        "outputPrice": (z.number, _O),
        "cacheWritesPrice": (z.number, _O),
        "cacheReadsPrice": (z.number, _O),
        "longContextPricing": (
            z.object_(
                {
                    "thresholdTokens": (z.number, _R),
                    "inputPriceMultiplier": (z.number, _O),
                    "outputPriceMultiplier": (z.number, _O),
                    "cacheWritesPriceMultiplier": (z.number, _O),
                    "cacheReadsPriceMultiplier": (z.number, _O),
                    "appliesToServiceTiers": (z.array(z.enum(*SERVICE_TIERS)), _O),
                }
            ),
            _O,
        ),
        "description": (z.string, _O),
        "reasoningEffort": (z.enum(*REASONING_EFFORTS_EXTENDED), _O),
        "minTokensPerCachePoint": (z.number, _O),
        "maxCachePoints": (z.number, _O),
        "cachableFields": (z.array(z.string), _O),
        "deprecated": (z.boolean, _O),
        "isStealthModel": (z.boolean, _O),
        "isFree": (z.boolean, _O),
        "excludedTools": (z.array(z.string), _O),
        "includedTools": (z.array(z.string), _O),
        "tiers": (
            z.array(
                z.object_(
                    {
                        "name": (z.enum(*SERVICE_TIERS), _O),
                        "contextWindow": (z.number, _R),
                        "inputPrice": (z.number, _O),
                        "outputPrice": (z.number, _O),
                        "cacheWritesPrice": (z.number, _O),
                        "cacheReadsPrice": (z.number, _O),
                    }
                )
            ),
            _O,
        ),
    }
)
