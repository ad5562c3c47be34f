"""Amazon Bedrock model table: port of ``packages/types/src/providers/bedrock.ts`` (Roo-Code @ cb83656).

ModelInfo dicts keep the TypeScript keys (camelCase) in their source order, with the Bedrock-only
cache fields (``minTokensPerCachePoint``, ``maxCachePoints``, ``cachableFields``) the cache strategy
reads. Followed by the Bedrock constants: defaults, the region -> inference-profile prefix mapping,
the 1M-context, global-inference and service-tier model lists and the service-tier price factors.
"""

from __future__ import annotations

from typing import Any, Final

# https://docs.aws.amazon.com/bedrock/latest/userguide/conversation-inference.html

BEDROCK_DEFAULT_MODEL_ID: Final = "anthropic.claude-sonnet-4-5-20250929-v1:0"

BEDROCK_DEFAULT_PROMPT_ROUTER_MODEL_ID: Final = "anthropic.claude-3-sonnet-20240229-v1:0"

# March, 12 2025 - updated prices to match US-West-2 list price shown at
# https://aws.amazon.com/bedrock/pricing, including older models that are part
# of the default prompt routers AWS enabled for GA of the promot router
# feature.
BEDROCK_MODELS: Final[dict[str, dict[str, Any]]] = {
    "anthropic.claude-sonnet-4-5-20250929-v1:0": {
        "maxTokens": 8192,
        "contextWindow": 200000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "supportsReasoningBudget": True,
        "inputPrice": 3,
        "outputPrice": 15,
        "cacheWritesPrice": 3.75,
        "cacheReadsPrice": 0.3,
        "minTokensPerCachePoint": 1024,
        "maxCachePoints": 4,
        "cachableFields": ["system", "messages", "tools"],
    },
    "anthropic.claude-sonnet-4-6": {
        "maxTokens": 8192,
        "contextWindow": 200000,  # Default 200K, extendable to 1M with beta flag 'context-1m-2025-08-07'
        "supportsImages": True,
        "supportsPromptCache": True,
        "supportsReasoningBudget": True,
        "inputPrice": 3,  # $3 per million input tokens (≤200K context)
        "outputPrice": 15,  # $15 per million output tokens (≤200K context)
        "cacheWritesPrice": 3.75,  # $3.75 per million tokens
        "cacheReadsPrice": 0.3,  # $0.30 per million tokens
        "minTokensPerCachePoint": 1024,
        "maxCachePoints": 4,
        "cachableFields": ["system", "messages", "tools"],
        # Tiered pricing for extended context (requires beta flag 'context-1m-2025-08-07')
        "tiers": [
            {
                "contextWindow": 1000000,  # 1M tokens with beta flag
                "inputPrice": 6,  # $6 per million input tokens (>200K context)
                "outputPrice": 22.5,  # $22.50 per million output tokens (>200K context)
                "cacheWritesPrice": 7.5,  # $7.50 per million tokens (>200K context)
                "cacheReadsPrice": 0.6,  # $0.60 per million tokens (>200K context)
            },
        ],
    },
    "amazon.nova-pro-v1:0": {
        "maxTokens": 5000,
        "contextWindow": 300000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "inputPrice": 0.8,
        "outputPrice": 3.2,
        "cacheWritesPrice": 0.8,  # per million tokens
        "cacheReadsPrice": 0.2,  # per million tokens
        "minTokensPerCachePoint": 1,
        "maxCachePoints": 1,
        "cachableFields": ["system"],
    },
    "amazon.nova-pro-latency-optimized-v1:0": {
        "maxTokens": 5000,
        "contextWindow": 300000,
        "supportsImages": True,
        "supportsPromptCache": False,
        "inputPrice": 1,
        "outputPrice": 4,
        "cacheWritesPrice": 1,  # per million tokens
        "cacheReadsPrice": 0.25,  # per million tokens
        "description": "Amazon Nova Pro with latency optimized inference",
    },
    "amazon.nova-lite-v1:0": {
        "maxTokens": 5000,
        "contextWindow": 300000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "inputPrice": 0.06,
        "outputPrice": 0.24,
        "cacheWritesPrice": 0.06,  # per million tokens
        "cacheReadsPrice": 0.015,  # per million tokens
        "minTokensPerCachePoint": 1,
        "maxCachePoints": 1,
        "cachableFields": ["system"],
    },
    "amazon.nova-2-lite-v1:0": {
        "maxTokens": 65535,
        "contextWindow": 1000000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "inputPrice": 0.33,
        "outputPrice": 2.75,
        "cacheWritesPrice": 0,
        "cacheReadsPrice": 0.0825,  # 75% less than input price
        "minTokensPerCachePoint": 1,
        "maxCachePoints": 1,
        "cachableFields": ["system"],
        "description": "Amazon Nova 2 Lite - Comparable to Claude Haiku 4.5",
    },
    "amazon.nova-micro-v1:0": {
        "maxTokens": 5000,
        "contextWindow": 128000,
        "supportsImages": False,
        "supportsPromptCache": True,
        "inputPrice": 0.035,
        "outputPrice": 0.14,
        "cacheWritesPrice": 0.035,  # per million tokens
        "cacheReadsPrice": 0.00875,  # per million tokens
        "minTokensPerCachePoint": 1,
        "maxCachePoints": 1,
        "cachableFields": ["system"],
    },
    "anthropic.claude-sonnet-4-20250514-v1:0": {
        "maxTokens": 8192,
        "contextWindow": 200000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "supportsReasoningBudget": True,
        "inputPrice": 3,
        "outputPrice": 15,
        "cacheWritesPrice": 3.75,
        "cacheReadsPrice": 0.3,
        "minTokensPerCachePoint": 1024,
        "maxCachePoints": 4,
        "cachableFields": ["system", "messages", "tools"],
    },
    "anthropic.claude-opus-4-1-20250805-v1:0": {
        "maxTokens": 8192,
        "contextWindow": 200000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "supportsReasoningBudget": True,
        "inputPrice": 15,
        "outputPrice": 75,
        "cacheWritesPrice": 18.75,
        "cacheReadsPrice": 1.5,
        "minTokensPerCachePoint": 1024,
        "maxCachePoints": 4,
        "cachableFields": ["system", "messages", "tools"],
    },
    "anthropic.claude-opus-4-6-v1": {
        "maxTokens": 8192,
        "contextWindow": 200000,  # Default 200K, extendable to 1M with beta flag 'context-1m-2025-08-07'
        "supportsImages": True,
        "supportsPromptCache": True,
        "supportsReasoningBudget": True,
        "inputPrice": 5,  # $5 per million input tokens (≤200K context)
        "outputPrice": 25,  # $25 per million output tokens (≤200K context)
        "cacheWritesPrice": 6.25,  # $6.25 per million tokens
        "cacheReadsPrice": 0.5,  # $0.50 per million tokens
        "minTokensPerCachePoint": 1024,
        "maxCachePoints": 4,
        "cachableFields": ["system", "messages", "tools"],
        # Tiered pricing for extended context (requires beta flag 'context-1m-2025-08-07')
        "tiers": [
            {
                "contextWindow": 1000000,  # 1M tokens with beta flag
                "inputPrice": 10,  # $10 per million input tokens (>200K context)
                "outputPrice": 37.5,  # $37.50 per million output tokens (>200K context)
                "cacheWritesPrice": 12.5,  # $12.50 per million tokens (>200K context)
                "cacheReadsPrice": 1,  # $1.00 per million tokens (>200K context)
            },
        ],
    },
    "anthropic.claude-opus-4-5-20251101-v1:0": {
        "maxTokens": 8192,
        "contextWindow": 200000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "supportsReasoningBudget": True,
        "inputPrice": 5,
        "outputPrice": 25,
        "cacheWritesPrice": 6.25,
        "cacheReadsPrice": 0.5,
        "minTokensPerCachePoint": 1024,
        "maxCachePoints": 4,
        "cachableFields": ["system", "messages", "tools"],
    },
    "anthropic.claude-opus-4-20250514-v1:0": {
        "maxTokens": 8192,
        "contextWindow": 200000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "supportsReasoningBudget": True,
        "inputPrice": 15,
        "outputPrice": 75,
        "cacheWritesPrice": 18.75,
        "cacheReadsPrice": 1.5,
        "minTokensPerCachePoint": 1024,
        "maxCachePoints": 4,
        "cachableFields": ["system", "messages", "tools"],
    },
    "anthropic.claude-3-7-sonnet-20250219-v1:0": {
        "maxTokens": 8192,
        "contextWindow": 200000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "supportsReasoningBudget": True,
        "inputPrice": 3,
        "outputPrice": 15,
        "cacheWritesPrice": 3.75,
        "cacheReadsPrice": 0.3,
        "minTokensPerCachePoint": 1024,
        "maxCachePoints": 4,
        "cachableFields": ["system", "messages", "tools"],
    },
    "anthropic.claude-3-5-sonnet-20241022-v2:0": {
        "maxTokens": 8192,
        "contextWindow": 200000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "inputPrice": 3,
        "outputPrice": 15,
        "cacheWritesPrice": 3.75,
        "cacheReadsPrice": 0.3,
        "minTokensPerCachePoint": 1024,
        "maxCachePoints": 4,
        "cachableFields": ["system", "messages", "tools"],
    },
    "anthropic.claude-3-5-haiku-20241022-v1:0": {
        "maxTokens": 8192,
        "contextWindow": 200000,
        "supportsImages": False,
        "supportsPromptCache": True,
        "inputPrice": 0.8,
        "outputPrice": 4,
        "cacheWritesPrice": 1,
        "cacheReadsPrice": 0.08,
        "minTokensPerCachePoint": 2048,
        "maxCachePoints": 4,
        "cachableFields": ["system", "messages", "tools"],
    },
    "anthropic.claude-haiku-4-5-20251001-v1:0": {
        "maxTokens": 8192,
        "contextWindow": 200000,
        "supportsImages": True,
        "supportsPromptCache": True,
        "supportsReasoningBudget": True,
        "inputPrice": 1,
        "outputPrice": 5,
        "cacheWritesPrice": 1.25,  # 5m cache writes
        "cacheReadsPrice": 0.1,  # cache hits / refreshes
        "minTokensPerCachePoint": 2048,
        "maxCachePoints": 4,
        "cachableFields": ["system", "messages", "tools"],
    },
    "anthropic.claude-3-5-sonnet-20240620-v1:0": {
        "maxTokens": 8192,
        "contextWindow": 200000,
        "supportsImages": True,
        "supportsPromptCache": False,
        "inputPrice": 3,
        "outputPrice": 15,
    },
    "anthropic.claude-3-opus-20240229-v1:0": {
        "maxTokens": 4096,
        "contextWindow": 200000,
        "supportsImages": True,
        "supportsPromptCache": False,
        "inputPrice": 15,
        "outputPrice": 75,
    },
    "anthropic.claude-3-sonnet-20240229-v1:0": {
        "maxTokens": 4096,
        "contextWindow": 200000,
        "supportsImages": True,
        "supportsPromptCache": False,
        "inputPrice": 3,
        "outputPrice": 15,
    },
    "anthropic.claude-3-haiku-20240307-v1:0": {
        "maxTokens": 4096,
        "contextWindow": 200000,
        "supportsImages": True,
        "supportsPromptCache": False,
        "inputPrice": 0.25,
        "outputPrice": 1.25,
    },
    "deepseek.r1-v1:0": {
        "maxTokens": 32768,
        "contextWindow": 128000,
        "supportsImages": False,
        "supportsPromptCache": False,
        "inputPrice": 1.35,
        "outputPrice": 5.4,
    },
    "openai.gpt-oss-20b-1:0": {
        "maxTokens": 8192,
        "contextWindow": 128000,
        "supportsImages": False,
        "supportsPromptCache": False,
        "inputPrice": 0.5,
        "outputPrice": 1.5,
        "description": "GPT-OSS 20B - Optimized for low latency and local/specialized use cases",
    },
    "openai.gpt-oss-120b-1:0": {
        "maxTokens": 8192,
        "contextWindow": 128000,
        "supportsImages": False,
        "supportsPromptCache": False,
        "inputPrice": 2,
        "outputPrice": 6,
        "description": "GPT-OSS 120B - Production-ready, general-purpose, high-reasoning model",
    },
    "meta.llama3-3-70b-instruct-v1:0": {
        "maxTokens": 8192,
        "contextWindow": 128000,
        "supportsImages": False,
        "supportsPromptCache": False,
        "inputPrice": 0.72,
        "outputPrice": 0.72,
        "description": "Llama 3.3 Instruct (70B)",
    },
    "meta.llama3-2-90b-instruct-v1:0": {
        "maxTokens": 8192,
        "contextWindow": 128000,
        "supportsImages": True,
        "supportsPromptCache": False,
        "inputPrice": 0.72,
        "outputPrice": 0.72,
        "description": "Llama 3.2 Instruct (90B)",
    },
    "meta.llama3-2-11b-instruct-v1:0": {
        "maxTokens": 8192,
        "contextWindow": 128000,
        "supportsImages": True,
        "supportsPromptCache": False,
        "inputPrice": 0.16,
        "outputPrice": 0.16,
        "description": "Llama 3.2 Instruct (11B)",
    },
    "meta.llama3-2-3b-instruct-v1:0": {
        "maxTokens": 8192,
        "contextWindow": 128000,
        "supportsImages": False,
        "supportsPromptCache": False,
        "inputPrice": 0.15,
        "outputPrice": 0.15,
        "description": "Llama 3.2 Instruct (3B)",
    },
    "meta.llama3-2-1b-instruct-v1:0": {
        "maxTokens": 8192,
        "contextWindow": 128000,
        "supportsImages": False,
        "supportsPromptCache": False,
        "inputPrice": 0.1,
        "outputPrice": 0.1,
        "description": "Llama 3.2 Instruct (1B)",
    },
    "meta.llama3-1-405b-instruct-v1:0": {
        "maxTokens": 8192,
        "contextWindow": 128000,
        "supportsImages": False,
        "supportsPromptCache": False,
        "inputPrice": 2.4,
        "outputPrice": 2.4,
        "description": "Llama 3.1 Instruct (405B)",
    },
    "meta.llama3-1-70b-instruct-v1:0": {
        "maxTokens": 8192,
        "contextWindow": 128000,
        "supportsImages": False,
        "supportsPromptCache": False,
        "inputPrice": 0.72,
        "outputPrice": 0.72,
        "description": "Llama 3.1 Instruct (70B)",
    },
    "meta.llama3-1-70b-instruct-latency-optimized-v1:0": {
        "maxTokens": 8192,
        "contextWindow": 128000,
        "supportsImages": False,
        "supportsPromptCache": False,
        "inputPrice": 0.9,
        "outputPrice": 0.9,
        "description": "Llama 3.1 Instruct (70B) (w/ latency optimized inference)",
    },
    "meta.llama3-1-8b-instruct-v1:0": {
        "maxTokens": 8192,
        "contextWindow": 8000,
        "supportsImages": False,
        "supportsPromptCache": False,
        "inputPrice": 0.22,
        "outputPrice": 0.22,
        "description": "Llama 3.1 Instruct (8B)",
    },
    "meta.llama3-70b-instruct-v1:0": {
        "maxTokens": 2048,
        "contextWindow": 8000,
        "supportsImages": False,
        "supportsPromptCache": False,
        "inputPrice": 2.65,
        "outputPrice": 3.5,
    },
    "meta.llama3-8b-instruct-v1:0": {
        "maxTokens": 2048,
        "contextWindow": 4000,
        "supportsImages": False,
        "supportsPromptCache": False,
        "inputPrice": 0.3,
        "outputPrice": 0.6,
    },
    "amazon.titan-text-lite-v1:0": {
        "maxTokens": 4096,
        "contextWindow": 8000,
        "supportsImages": False,
        "supportsPromptCache": False,
        "inputPrice": 0.15,
        "outputPrice": 0.2,
        "description": "Amazon Titan Text Lite",
    },
    "amazon.titan-text-express-v1:0": {
        "maxTokens": 4096,
        "contextWindow": 8000,
        "supportsImages": False,
        "supportsPromptCache": False,
        "inputPrice": 0.2,
        "outputPrice": 0.6,
        "description": "Amazon Titan Text Express",
    },
    "moonshot.kimi-k2-thinking": {
        "maxTokens": 32000,
        "contextWindow": 262144,
        "supportsImages": False,
        "supportsPromptCache": False,
        "preserveReasoning": True,
        "inputPrice": 0.6,
        "outputPrice": 2.5,
        "description": "Kimi K2 Thinking (1T parameter MoE model with 32B active parameters)",
    },
    "minimax.minimax-m2": {
        "maxTokens": 16384,
        "contextWindow": 196608,
        "supportsImages": False,
        "supportsPromptCache": False,
        "preserveReasoning": True,
        "inputPrice": 0.3,
        "outputPrice": 1.2,
        "description": "MiniMax M2 (230B parameter MoE model with 10B active parameters)",
    },
    "qwen.qwen3-next-80b-a3b": {
        "maxTokens": 8192,
        "contextWindow": 262144,
        "supportsImages": False,
        "supportsPromptCache": False,
        "inputPrice": 0.15,
        "outputPrice": 1.2,
        "description": "Qwen3 Next 80B (MoE model with 3B active parameters)",
    },
    "qwen.qwen3-coder-480b-a35b-v1:0": {
        "maxTokens": 8192,
        "contextWindow": 262144,
        "supportsImages": False,
        "supportsPromptCache": False,
        "inputPrice": 0.45,
        "outputPrice": 1.8,
        "description": "Qwen3 Coder 480B (MoE model with 35B active parameters)",
    },
}

BEDROCK_DEFAULT_TEMPERATURE: Final = 0.3

BEDROCK_MAX_TOKENS: Final = 4096

BEDROCK_DEFAULT_CONTEXT: Final = 128_000

# Amazon Bedrock Inference Profile mapping based on official documentation
# https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html
# This mapping is pre-ordered by pattern length (descending) to ensure more specific patterns match first
AWS_INFERENCE_PROFILE_MAPPING: Final[list[tuple[str, str]]] = [
    # Australia regions (Sydney and Melbourne) → au. inference profile (most specific - 14 chars)
    ("ap-southeast-2", "au."),
    ("ap-southeast-4", "au."),
    # Japan regions (Tokyo and Osaka) → jp. inference profile (13 chars)
    ("ap-northeast-", "jp."),
    # US Government Cloud → ug. inference profile (7 chars)
    ("us-gov-", "ug."),
    # Americas regions → us. inference profile (3 chars)
    ("us-", "us."),
    # Europe regions → eu. inference profile (3 chars)
    ("eu-", "eu."),
    # Asia Pacific regions → apac. inference profile (3 chars)
    ("ap-", "apac."),
    # Canada regions → ca. inference profile (3 chars)
    ("ca-", "ca."),
    # South America regions → sa. inference profile (3 chars)
    ("sa-", "sa."),
]

# Amazon Bedrock supported regions for the regions dropdown, sorted by value (localeCompare).
BEDROCK_REGIONS: Final[list[dict[str, str]]] = [
    {"value": region, "label": region}
    for region in sorted(
        [
            "us-east-1",
            "us-east-2",
            "us-west-1",
            "us-west-2",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-northeast-3",
            "ap-south-1",
            "ap-south-2",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-east-1",
            "eu-central-1",
            "eu-central-2",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "eu-north-1",
            "eu-south-1",
            "eu-south-2",
            "ca-central-1",
            "sa-east-1",
            "us-gov-east-1",
            "us-gov-west-1",
        ]
    )
]

BEDROCK_1M_CONTEXT_MODEL_IDS: Final = (
    "anthropic.claude-sonnet-4-20250514-v1:0",
    "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "anthropic.claude-sonnet-4-6",
    "anthropic.claude-opus-4-6-v1",
)

# Amazon Bedrock models that support Global Inference profiles
BEDROCK_GLOBAL_INFERENCE_MODEL_IDS: Final = (
    "anthropic.claude-sonnet-4-20250514-v1:0",
    "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "anthropic.claude-sonnet-4-6",
    "anthropic.claude-haiku-4-5-20251001-v1:0",
    "anthropic.claude-opus-4-5-20251101-v1:0",
    "anthropic.claude-opus-4-6-v1",
)

# Models that support service tiers based on AWS documentation
# https://docs.aws.amazon.com/bedrock/latest/userguide/service-tiers-inference.html
BEDROCK_SERVICE_TIER_MODEL_IDS: Final = (
    # Amazon Nova models
    "amazon.nova-lite-v1:0",
    "amazon.nova-2-lite-v1:0",
    "amazon.nova-pro-v1:0",
    "amazon.nova-pro-latency-optimized-v1:0",
    # DeepSeek models
    "deepseek.r1-v1:0",
    # Qwen models
    "qwen.qwen3-next-80b-a3b",
    "qwen.qwen3-coder-480b-a35b-v1:0",
    # OpenAI GPT-OSS models
    "openai.gpt-oss-20b-1:0",
    "openai.gpt-oss-120b-1:0",
)

# Service tier pricing multipliers
BEDROCK_SERVICE_TIER_PRICING: Final[dict[str, float]] = {
    "STANDARD": 1.0,  # Base price
    "FLEX": 0.5,  # 50% discount from standard
    "PRIORITY": 1.75,  # 75% premium over standard
}
