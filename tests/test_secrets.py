"""Keys and tokens a caller passes never show in the port's exception texts, reprs or log lines.

(An error text the upstream itself returned is reproduced as is: it is part of the golden. The
upstream here answers without echoing the key.)
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

import providers
from parity.runner import serve
from parity.tls import TLSFiles

SECRET = "sk-very-secret-0123456789abcdef"
DENIED = {"status": 401, "headers": {"content-type": "application/json"},
          "body_chunks": [json.dumps({"error": {"type": "authentication_error", "message": "invalid x-api-key"}})]}
CUT = {"status": 200, "headers": {"content-type": "text/event-stream"}, "body_chunks": ["data: {\"x\":"],
       "destroy_after_chunks": 1}


def _settings(provider: str, base_url: str) -> dict[str, Any]:
    return {
        "openai": {"apiProvider": "openai", "openAiApiKey": SECRET, "openAiBaseUrl": base_url, "openAiModelId": "gpt-4o"},
        "anthropic": {"apiProvider": "anthropic", "apiKey": SECRET, "anthropicBaseUrl": base_url},
        "gemini": {"apiProvider": "gemini", "geminiApiKey": SECRET, "googleGeminiBaseUrl": base_url},
        "openrouter": {"apiProvider": "openrouter", "openRouterApiKey": SECRET, "openRouterBaseUrl": base_url + "/api/v1"},
        "xai": {"apiProvider": "xai", "xaiApiKey": SECRET},
        "bedrock": {"apiProvider": "bedrock", "apiModelId": "anthropic.claude-sonnet-4-5-20250929-v1:0", "awsAccessKey": "AKIASAMPLE", "awsSecretKey": SECRET,
                    "awsSessionToken": SECRET + "-session", "awsRegion": "us-east-1",
                    "awsBedrockEndpoint": base_url, "awsBedrockEndpointEnabled": True},
    }[provider]


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini", "openrouter", "xai", "bedrock"])
@pytest.mark.parametrize("reply", [DENIED, CUT], ids=["denied", "cut"])
async def test_errors_and_logs_do_not_show_the_key(
    provider: str, reply: dict[str, Any], tls_files: TLSFiles, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    models = {"status": 200, "headers": {"content-type": "application/json"}, "body_chunks": ['{"data":[]}'],
              "match": {"method": "GET"}, "times": 5}
    async with serve(tls_files, [models, reply]) as server:
        handler = providers.build_api_handler(_settings(provider, server.base_url))
        raised: list[BaseException] = []
        try:
            async for _ in handler.create_message("sys", [{"role": "user", "content": "hi"}]):
                pass
        except Exception as exc:  # noqa: BLE001
            raised.append(exc)
        try:
            await handler.complete_prompt("hi")
        except Exception as exc:  # noqa: BLE001
            raised.append(exc)
    # a denied request always fails; a cut stream fails too, except Bedrock's (it just ends there)
    assert len(raised) == 2 or (provider == "bedrock" and reply is CUT)
    for exc in raised:
        seen = [str(exc), repr(exc), repr(vars(exc))]
        cause = exc.__cause__ or exc.__context__
        while cause is not None:
            seen += [str(cause), repr(cause)]
            cause = cause.__cause__ or cause.__context__
        assert not any(SECRET[:12] in text for text in seen), seen
    assert SECRET[:12] not in caplog.text
