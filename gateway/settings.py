"""``provider/model-id`` strings to the reference's ``ProviderSettings`` (ours).

``LlmService`` takes a model as ``"anthropic/claude-sonnet-4-5"``, the LLM manager a
``ProviderConfig(provider=..., model=..., api_key=..., api_base=...)``; both become the settings
``providers.build_api_handler`` takes, here and only here. What is not given comes from the
environment variables the official SDKs read (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``,
``ANTHROPIC_API_KEY``, ``ANTHROPIC_BASE_URL``, ``GEMINI_API_KEY``, ``GEMINI_BASE_URL``, ...);
Bedrock and Vertex fall back to the AWS and Google credential chains the handlers already follow.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

PROVIDERS = ("openai", "anthropic", "gemini", "bedrock", "openrouter", "xai", "vertex", "azure")
"""The provider prefixes a model string may have."""

OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"
"""openai-python's default base URL: Roo's ``openai`` provider has none of its own."""


def _first(env: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = env.get(name)
        if value:
            return value
    return None


def split_model(model: str) -> tuple[str, str]:
    """``"openai/gpt-4o"`` → ``("openai", "gpt-4o")``; the model id may itself hold slashes
    (``"openrouter/anthropic/claude-sonnet-4.5"``)."""
    provider, sep, model_id = model.partition("/")
    if not sep or not model_id or provider not in PROVIDERS:
        raise ValueError(
            f"model {model!r} is not 'provider/model-id' with a provider among {', '.join(PROVIDERS)}"
        )
    return provider, model_id


def settings_for(
    provider: str,
    model_id: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``ProviderSettings`` for ``provider`` and ``model_id``; ``api_key`` and ``base_url``
    win over the environment (``env``, ``os.environ`` by default). Unset fields are left out."""
    settings = _settings(provider, model_id, api_key, base_url, os.environ if env is None else env)
    return {key: value for key, value in settings.items() if value is not None}


def _settings(
    provider: str, model_id: str, api_key: str | None, base_url: str | None, env: Mapping[str, str]
) -> dict[str, Any]:
    if provider == "openai":
        return {
            "apiProvider": "openai",
            "openAiModelId": model_id,
            "openAiApiKey": api_key or _first(env, "OPENAI_API_KEY"),
            "openAiBaseUrl": base_url or _first(env, "OPENAI_BASE_URL") or OPENAI_DEFAULT_BASE_URL,
        }
    if provider == "azure":
        # the deployment name is the model id; key, endpoint and version as the SDKs' AzureOpenAI
        # reads them: a base URL is taken as it is, an endpoint gets "/openai" (its baseURL)
        endpoint = _first(env, "AZURE_OPENAI_ENDPOINT")
        return {
            "apiProvider": "openai",
            "openAiUseAzure": True,
            "openAiModelId": model_id,
            "openAiApiKey": api_key or _first(env, "AZURE_OPENAI_API_KEY"),
            "openAiBaseUrl": base_url or (f"{endpoint.rstrip('/')}/openai" if endpoint else None),
            "azureApiVersion": _first(env, "OPENAI_API_VERSION"),
        }
    if provider == "anthropic":
        return {
            "apiProvider": "anthropic",
            "apiModelId": model_id,
            "apiKey": api_key or _first(env, "ANTHROPIC_API_KEY"),
            "anthropicBaseUrl": base_url or _first(env, "ANTHROPIC_BASE_URL"),
        }
    if provider == "gemini":
        return {
            "apiProvider": "gemini",
            "apiModelId": model_id,
            "geminiApiKey": api_key or _first(env, "GEMINI_API_KEY", "GOOGLE_API_KEY"),
            "googleGeminiBaseUrl": base_url or _first(env, "GEMINI_BASE_URL"),
        }
    if provider == "openrouter":
        return {
            "apiProvider": "openrouter",
            "openRouterModelId": model_id,
            "openRouterApiKey": api_key or _first(env, "OPENROUTER_API_KEY"),
            "openRouterBaseUrl": base_url or _first(env, "OPENROUTER_BASE_URL"),
        }
    if provider == "xai":
        # xai.ts has a hard-coded host: no base URL setting exists
        return {"apiProvider": "xai", "apiModelId": model_id, "xaiApiKey": api_key or _first(env, "XAI_API_KEY")}
    if provider == "bedrock":
        settings: dict[str, Any] = {
            "apiProvider": "bedrock",
            "apiModelId": model_id,
            "awsRegion": _first(env, "AWS_REGION", "AWS_DEFAULT_REGION") or "us-east-1",
        }
        key = api_key or _first(env, "AWS_BEARER_TOKEN_BEDROCK")
        if key:
            settings.update(awsUseApiKey=True, awsApiKey=key)
        elif env.get("AWS_PROFILE"):
            settings.update(awsUseProfile=True, awsProfile=env["AWS_PROFILE"])
        # else: the AWS SDK's default chain (environment, shared files, SSO, IMDS), as the handler does
        if base_url:
            settings.update(awsBedrockEndpointEnabled=True, awsBedrockEndpoint=base_url)
        return settings
    if provider == "vertex":
        settings = {
            "apiProvider": "vertex",
            "apiModelId": model_id,
            "vertexProjectId": _first(env, "VERTEX_PROJECT_ID", "GOOGLE_CLOUD_PROJECT"),
            "vertexRegion": _first(env, "VERTEX_REGION", "GOOGLE_CLOUD_LOCATION") or "us-east5",
        }
        if api_key:
            settings["vertexJsonCredentials"] = api_key
        # else: Application Default Credentials, as the handler does
        return settings
    raise ValueError(f"unknown provider {provider!r}; expected one of {', '.join(PROVIDERS)}")


def settings_for_model(model: str, **kwargs: Any) -> dict[str, Any]:
    """``settings_for`` of a ``provider/model-id`` string."""
    return settings_for(*split_model(model), **kwargs)
