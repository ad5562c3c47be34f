"""Port of the parts of ``packages/types/src/providers/openai.ts`` (Roo-Code @ cb83656) that the
OpenAI-compatible handler (openai.ts) uses: the sane defaults for custom models, the Azure API
version and the Azure AI Inference path. The ``openAiNativeModels`` table of that file serves
openai-native.ts, which this port does not carry.
"""

from __future__ import annotations

from typing import Any, Final

OPENAI_MODEL_INFO_SANE_DEFAULTS: Final[dict[str, Any]] = {
    "maxTokens": -1,
    "contextWindow": 128_000,
    "supportsImages": True,
    "supportsPromptCache": False,
    "inputPrice": 0,
    "outputPrice": 0,
}

# https://learn.microsoft.com/en-us/azure/ai-services/openai/api-version-deprecation
# https://learn.microsoft.com/en-us/azure/ai-services/openai/reference#api-specs
AZURE_OPENAI_DEFAULT_API_VERSION: Final = "2024-08-01-preview"

OPENAI_NATIVE_DEFAULT_TEMPERATURE: Final = 0

OPENAI_AZURE_AI_INFERENCE_PATH: Final = "/models/chat/completions"
