"""provider-port: Roo Code's LLM provider layer in Python.

Port of ``src/api/index.ts`` (RooCodeInc/Roo-Code @ cb83656): ``build_api_handler`` picks the
handler for ``settings["apiProvider"]`` exactly as ``buildApiHandler`` does. Handler modules are
imported on first use, so importing this package loads neither botocore nor google-auth.
"""

from __future__ import annotations

import importlib
from typing import Any

from .sdk.transport import aclose

__all__ = ["build_api_handler", "NotPortedError", "aclose", "RETIRED_PROVIDER_NAMES"]

# packages/types/src/provider-settings.ts: retiredProviderNames
RETIRED_PROVIDER_NAMES = (
    "cerebras",
    "chutes",
    "deepinfra",
    "doubao",
    "featherless",
    "groq",
    "huggingface",
    "io-intelligence",
)

RETIRED_PROVIDER_MESSAGE = (
    "Sorry, this provider is no longer supported. We saw very few Roo users actually using it and "
    "we need to reduce the surface area of our codebase so we can keep shipping fast and serving "
    "our community well in this space. It was a really hard decision but it lets us focus on what "
    "matters most to you. It sucks, we know.\n\nPlease select a different provider in your API "
    "profile settings."
)

# The switch of buildApiHandler: provider name -> (module, class) of this port.
_PORTED = {
    "anthropic": ("anthropic", "AnthropicHandler"),
    "openrouter": ("openrouter", "OpenRouterHandler"),
    "bedrock": ("bedrock", "AwsBedrockHandler"),
    "vertex": ("vertex", "VertexHandler"),
    "openai": ("openai", "OpenAiHandler"),
    "gemini": ("gemini", "GeminiHandler"),
    "xai": ("xai", "XAIHandler"),
}
_ANTHROPIC_VERTEX = ("anthropic_vertex", "AnthropicVertexHandler")

# Cases of the switch that this port does not carry.
_NOT_PORTED = frozenset(
    {
        "ollama", "lmstudio", "openai-codex", "openai-native", "deepseek", "qwen-code",
        "moonshot", "vscode-lm", "mistral", "requesty", "unbound", "fake-ai", "litellm",
        "sambanova", "zai", "fireworks", "roo", "vercel-ai-gateway", "minimax", "baseten", "poe",
    }
)


class NotPortedError(NotImplementedError):
    """``apiProvider`` names a provider the reference has but this port does not."""

    def __init__(self, provider: str) -> None:
        super().__init__(
            f"apiProvider {provider!r} is a provider of the reference that provider-port does not "
            f"port; ported: {', '.join(sorted(_PORTED))}"
        )
        self.provider = provider


def _load(module: str, cls: str) -> Any:
    return getattr(importlib.import_module(f"{__name__}.{module}"), cls)


def build_api_handler(settings: dict[str, Any], *, limiter: Any = None, sdk_retries: bool = True) -> Any:
    """``buildApiHandler(configuration)``: synchronous, no I/O.

    ``limiter`` (a ``providers.ratelimit.AdaptiveLimiter``, ours, not the reference's) paces the
    handler's requests; ``sdk_retries=False`` (ours) turns the SDK layers' own retries off, for a
    caller that retries itself (``providers.sdk.retries``). Without them the handler is exactly
    the reference's.
    """
    handler = _build(settings)
    if limiter is not None:
        from .ratelimit import LimitedHandler

        handler = LimitedHandler(handler, limiter)
    if not sdk_retries:
        from .sdk.retries import NoSdkRetriesHandler

        handler = NoSdkRetriesHandler(handler)
    return handler


def _build(settings: dict[str, Any]) -> Any:
    options = dict(settings)
    api_provider = options.pop("apiProvider", None)
    if api_provider and api_provider in RETIRED_PROVIDER_NAMES:
        raise Exception(RETIRED_PROVIDER_MESSAGE)
    if api_provider in _NOT_PORTED:
        raise NotPortedError(api_provider)
    if api_provider == "vertex":
        model_id = options.get("apiModelId")
        target = _ANTHROPIC_VERTEX if isinstance(model_id, str) and model_id.startswith("claude") else _PORTED["vertex"]
    else:
        # default: AnthropicHandler (a missing or unknown apiProvider)
        target = _PORTED.get(api_provider, _PORTED["anthropic"])
    return _load(*target)(options)
