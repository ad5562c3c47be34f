"""DeepSeek model table: port of ``packages/types/src/providers/deepseek.ts`` (Roo-Code @ cb83656).

ModelInfo dicts keep the TypeScript keys (camelCase) in their source order. ``preserveReasoning``
enables DeepSeek's interleaved thinking for tool calls (reasoning_content passed back within a
turn).
"""

from __future__ import annotations

from typing import Any, Final

# https://platform.deepseek.com/docs/api
DEEP_SEEK_DEFAULT_MODEL_ID: Final = "deepseek-chat"

DEEP_SEEK_MODELS: Final[dict[str, dict[str, Any]]] = {
    "deepseek-chat": {
        "maxTokens": 8192,  # 8K max output
        "contextWindow": 128_000,
        "supportsImages": False,
        "supportsPromptCache": True,
        "inputPrice": 0.28,  # per million tokens (cache miss)
        "outputPrice": 0.42,
        "cacheWritesPrice": 0.28,  # cache miss
        "cacheReadsPrice": 0.028,  # cache hit
        "description": "DeepSeek-V3.2 (Non-thinking Mode) achieves a significant breakthrough in inference speed over previous models. It tops the leaderboard among open-source models and rivals the most advanced closed-source models globally. Supports JSON output, tool calls, chat prefix completion (beta), and FIM completion (beta).",
    },
    "deepseek-reasoner": {
        "maxTokens": 8192,  # 8K max output
        "contextWindow": 128_000,
        "supportsImages": False,
        "supportsPromptCache": True,
        "preserveReasoning": True,
        "inputPrice": 0.28,  # per million tokens (cache miss)
        "outputPrice": 0.42,
        "cacheWritesPrice": 0.28,  # cache miss
        "cacheReadsPrice": 0.028,  # cache hit
        "description": "DeepSeek-V3.2 (Thinking Mode) achieves performance comparable to OpenAI-o1 across math, code, and reasoning tasks. Supports Chain of Thought reasoning with up to 8K output tokens. Supports JSON output, tool calls, and chat prefix completion (beta).",
    },
}

# https://api-docs.deepseek.com/quick_start/parameter_settings
DEEP_SEEK_DEFAULT_TEMPERATURE: Final = 0.3
