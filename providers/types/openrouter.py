"""OpenRouter defaults: port of ``packages/types/src/providers/openrouter.ts`` (Roo-Code @ cb83656).

ModelInfo dicts keep the TypeScript keys (camelCase) in their source order.
"""

from __future__ import annotations

from typing import Any, Final

# https://openrouter.ai/models?order=newest&supported_parameters=tools
OPEN_ROUTER_DEFAULT_MODEL_ID: Final = "anthropic/claude-sonnet-4.5"

OPEN_ROUTER_DEFAULT_MODEL_INFO: Final[dict[str, Any]] = {
    "maxTokens": 8192,
    "contextWindow": 200_000,
    "supportsImages": True,
    "supportsPromptCache": True,
    "inputPrice": 3.0,
    "outputPrice": 15.0,
    "cacheWritesPrice": 3.75,
    "cacheReadsPrice": 0.3,
    "description": (
        "Claude 3.7 Sonnet is an advanced large language model with improved reasoning, coding, and "
        "problem-solving capabilities. It introduces a hybrid reasoning approach, allowing users to choose "
        "between rapid responses and extended, step-by-step processing for complex tasks. The model "
        "demonstrates notable improvements in coding, particularly in front-end development and full-stack "
        "updates, and excels in agentic workflows, where it can autonomously navigate multi-step processes. "
        "Claude 3.7 Sonnet maintains performance parity with its predecessor in standard mode while offering "
        "an extended reasoning mode for enhanced accuracy in math, coding, and instruction-following tasks. "
        "Read more at the [blog post here](https://www.anthropic.com/news/claude-3-7-sonnet)"
    ),
}

OPENROUTER_DEFAULT_PROVIDER_NAME: Final = "[default]"

OPEN_ROUTER_PROMPT_CACHING_MODELS: Final = frozenset(
    {
        "anthropic/claude-3-haiku",
        "anthropic/claude-3-haiku:beta",
        "anthropic/claude-3-opus",
        "anthropic/claude-3-opus:beta",
        "anthropic/claude-3-sonnet",
        "anthropic/claude-3-sonnet:beta",
        "anthropic/claude-3.5-haiku",
        "anthropic/claude-3.5-haiku-20241022",
        "anthropic/claude-3.5-haiku-20241022:beta",
        "anthropic/claude-3.5-haiku:beta",
        "anthropic/claude-3.5-sonnet",
        "anthropic/claude-3.5-sonnet-20240620",
        "anthropic/claude-3.5-sonnet-20240620:beta",
        "anthropic/claude-3.5-sonnet:beta",
        "anthropic/claude-3.7-sonnet",
        "anthropic/claude-3.7-sonnet:beta",
        "anthropic/claude-3.7-sonnet:thinking",
        "anthropic/claude-sonnet-4",
        "anthropic/claude-sonnet-4.5",
        "anthropic/claude-sonnet-4.6",
        "anthropic/claude-opus-4",
        "anthropic/claude-opus-4.1",
        "anthropic/claude-opus-4.5",
        "anthropic/claude-opus-4.6",
        "anthropic/claude-haiku-4.5",
        "google/gemini-2.5-flash-preview",
        "google/gemini-2.5-flash-preview:thinking",
        "google/gemini-2.5-flash-preview-05-20",
        "google/gemini-2.5-flash-preview-05-20:thinking",
        "google/gemini-2.5-flash",
        "google/gemini-2.5-flash-lite-preview-06-17",
        "google/gemini-2.0-flash-001",
        "google/gemini-flash-1.5",
        "google/gemini-flash-1.5-8b",
    }
)

# The `:thinking` virtual model ids (and these two) always require the reasoning budget; no new
# models belong here.
OPEN_ROUTER_REQUIRED_REASONING_BUDGET_MODELS: Final = frozenset(
    {
        "anthropic/claude-3.7-sonnet:thinking",
        "google/gemini-2.5-pro",
        "google/gemini-2.5-flash-preview-05-20:thinking",
    }
)

OPEN_ROUTER_REASONING_BUDGET_MODELS: Final = frozenset(
    {
        "anthropic/claude-3.7-sonnet:beta",
        "anthropic/claude-opus-4",
        "anthropic/claude-opus-4.1",
        "anthropic/claude-opus-4.5",
        "anthropic/claude-opus-4.6",
        "anthropic/claude-sonnet-4",
        "anthropic/claude-sonnet-4.5",
        "anthropic/claude-sonnet-4.6",
        "anthropic/claude-haiku-4.5",
        "google/gemini-2.5-pro-preview",
        "google/gemini-2.5-pro",
        "google/gemini-2.5-flash-preview-05-20",
        "google/gemini-2.5-flash",
        "google/gemini-2.5-flash-lite-preview-06-17",
        # the models that require the budget too (OPEN_ROUTER_REQUIRED_REASONING_BUDGET_MODELS wins)
        "anthropic/claude-3.7-sonnet:thinking",
        "google/gemini-2.5-flash-preview-05-20:thinking",
    }
)
