"""Anthropic model table: port of ``packages/types/src/providers/anthropic.ts`` (Roo-Code @ cb83656).

ModelInfo dicts keep the TypeScript keys (camelCase) in their source order.
"""

from __future__ import annotations

from typing import Any, Final

# https://docs.anthropic.com/en/docs/about-claude/models
# https://platform.claude.com/docs/en/about-claude/pricing

ANTHROPIC_DEFAULT_MODEL_ID: Final = "claude-sonnet-4-5"

ANTHROPIC_MODELS: Final[dict[str, dict[str, Any]]] = {
    "claude-sonnet-4-6": {
        "maxTokens": 64_000,  # Overridden to 8k if `enableReasoningEffort` is false.
        "contextWindow": 200_000,  # extendable to 1M with beta flag 'context-1m-2025-08-07'
        "supportsImages": True,
        "supportsPromptCache": True,
        "inputPrice": 3.0,
        "outputPrice": 15.0,
        "cacheWritesPrice": 3.75,
        "cacheReadsPrice": 0.3,
        "supportsReasoningBudget": True,
        # Tiered pricing for extended context (requires beta flag 'context-1m-2025-08-07')
        "tiers": [
            {
                "contextWindow": 1_000_000,
                "inputPrice": 6.0,
                "outputPrice": 22.5,
                "cacheWritesPrice": 7.5,
                "cacheReadsPrice": 0.6,
            },
        ],
    },
    "claude-sonnet-4-5": {
        "maxTokens": 64_000,
        "contextWindow": 200_000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "inputPrice": 3.0,
        "outputPrice": 15.0,
        "cacheWritesPrice": 3.75,
        "cacheReadsPrice": 0.3,
        "supportsReasoningBudget": True,
        "tiers": [
            {
                "contextWindow": 1_000_000,
                "inputPrice": 6.0,
                "outputPrice": 22.5,
                "cacheWritesPrice": 7.5,
                "cacheReadsPrice": 0.6,
            },
        ],
    },
    "claude-sonnet-4-20250514": {
        "maxTokens": 64_000,
        "contextWindow": 200_000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "inputPrice": 3.0,
        "outputPrice": 15.0,
        "cacheWritesPrice": 3.75,
        "cacheReadsPrice": 0.3,
        "supportsReasoningBudget": True,
        "tiers": [
            {
                "contextWindow": 1_000_000,
                "inputPrice": 6.0,
                "outputPrice": 22.5,
                "cacheWritesPrice": 7.5,
                "cacheReadsPrice": 0.6,
            },
        ],
    },
    "claude-opus-4-6": {
        "maxTokens": 128_000,
        "contextWindow": 200_000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "inputPrice": 5.0,
        "outputPrice": 25.0,
        "cacheWritesPrice": 6.25,
        "cacheReadsPrice": 0.5,
        "supportsReasoningBudget": True,
        "tiers": [
            {
                "contextWindow": 1_000_000,
                "inputPrice": 10.0,
                "outputPrice": 37.5,
                "cacheWritesPrice": 12.5,
                "cacheReadsPrice": 1.0,
            },
        ],
    },
    "claude-opus-4-5-20251101": {
        "maxTokens": 32_000,
        "contextWindow": 200_000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "inputPrice": 5.0,
        "outputPrice": 25.0,
        "cacheWritesPrice": 6.25,
        "cacheReadsPrice": 0.5,
        "supportsReasoningBudget": True,
    },
    "claude-opus-4-1-20250805": {
        "maxTokens": 32_000,
        "contextWindow": 200_000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "inputPrice": 15.0,
        "outputPrice": 75.0,
        "cacheWritesPrice": 18.75,
        "cacheReadsPrice": 1.5,
        "supportsReasoningBudget": True,
    },
    "claude-opus-4-20250514": {
        "maxTokens": 32_000,
        "contextWindow": 200_000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "inputPrice": 15.0,
        "outputPrice": 75.0,
        "cacheWritesPrice": 18.75,
        "cacheReadsPrice": 1.5,
        "supportsReasoningBudget": True,
    },
    "claude-3-7-sonnet-20250219:thinking": {
        "maxTokens": 128_000,  # Unlocked by passing `beta` flag to the model. Otherwise, it's 64k.
        "contextWindow": 200_000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "inputPrice": 3.0,
        "outputPrice": 15.0,
        "cacheWritesPrice": 3.75,
        "cacheReadsPrice": 0.3,
        "supportsReasoningBudget": True,
        "requiredReasoningBudget": True,
    },
    "claude-3-7-sonnet-20250219": {
        "maxTokens": 8192,
        "contextWindow": 200_000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "inputPrice": 3.0,
        "outputPrice": 15.0,
        "cacheWritesPrice": 3.75,
        "cacheReadsPrice": 0.3,
    },
    "claude-3-5-sonnet-20241022": {
        "maxTokens": 8192,
        "contextWindow": 200_000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "inputPrice": 3.0,
        "outputPrice": 15.0,
        "cacheWritesPrice": 3.75,
        "cacheReadsPrice": 0.3,
    },
    "claude-3-5-haiku-20241022": {
        "maxTokens": 8192,
        "contextWindow": 200_000,
        "supportsImages": False,
        "supportsPromptCache": True,
        "inputPrice": 1.0,
        "outputPrice": 5.0,
        "cacheWritesPrice": 1.25,
        "cacheReadsPrice": 0.1,
    },
    "claude-3-opus-20240229": {
        "maxTokens": 4096,
        "contextWindow": 200_000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "inputPrice": 15.0,
        "outputPrice": 75.0,
        "cacheWritesPrice": 18.75,
        "cacheReadsPrice": 1.5,
    },
    "claude-3-haiku-20240307": {
        "maxTokens": 4096,
        "contextWindow": 200_000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "inputPrice": 0.25,
        "outputPrice": 1.25,
        "cacheWritesPrice": 0.3,
        "cacheReadsPrice": 0.03,
    },
    "claude-haiku-4-5-20251001": {
        "maxTokens": 64_000,
        "contextWindow": 200_000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "inputPrice": 1.0,
        "outputPrice": 5.0,
        "cacheWritesPrice": 1.25,
        "cacheReadsPrice": 0.1,
        "supportsReasoningBudget": True,
        "description": (
            "Claude Haiku 4.5 delivers near-frontier intelligence at lightning speeds with extended thinking, "
            "vision, and multilingual support."
        ),
    },
}

ANTHROPIC_DEFAULT_MAX_TOKENS: Final = 8192
