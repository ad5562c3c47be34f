"""The environment an ``LlmService`` test runs in (no tests): each wire's keys and base URL as the
official SDKs read them, pointed at the loopback upstream, and nothing else of this machine's.

``use_wire(monkeypatch, upstream, wire, tmp_path)`` sets ``LLM_DEFAULT_MODEL`` and the provider's
variables (Bedrock: the AWS SDK's ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` and static keys, empty
shared files); ``ok(wire)`` is a healthy three-delta reply (tools/bench/server.py's streams).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from loopback import SCENARIOS, Reply, Upstream

from tools.bench import clients
from tools.bench.server import anthropic_events, bedrock_events, gemini_events, openai_events

WIRES = ("openai", "anthropic", "gemini", "bedrock")
MODELS = {
    "openai": "openai/gpt-4o",
    "anthropic": "anthropic/claude-sonnet-4-5",
    "gemini": "gemini/gemini-2.5-flash",
    "bedrock": "bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0",
    "xai": "xai/grok-4",
    "openrouter": "openrouter/anthropic/claude-sonnet-4.5",
}
KEYS = {
    "openai": clients.OPENAI_KEY,
    "anthropic": clients.ANTHROPIC_KEY,
    "gemini": clients.GEMINI_KEY,
    "bedrock": clients.AWS_SECRET_KEY,
    "xai": "xai-SAMPLETESTKEY00000000000000000000000000",
    "openrouter": "sk-or-v1-SAMPLETESTKEY00000000000000000000000000000000000000000000",
}
CONTENT_TYPE = {
    "openai": "text/event-stream; charset=utf-8",
    "anthropic": "text/event-stream; charset=utf-8",
    "gemini": "text/event-stream",
    "bedrock": "application/vnd.amazon.eventstream",
}
EVENTS = {"openai": openai_events, "anthropic": anthropic_events, "gemini": gemini_events, "bedrock": bedrock_events}
TEXTS = [" tok0", " tok1", " tok2"]  # what ok(wire) answers
MODEL_PATH = {  # a fragment of the model API's URL, per wire
    "openai": "/chat/completions",
    "anthropic": "/v1/messages",
    "gemini": ":streamGenerateContent",
    "bedrock": "/converse-stream",
    "xai": "/v1/responses",
    "openrouter": "/chat/completions",
}

_CLEARED = (
    "LLM_DEFAULT_MODEL", "LLM_USE_MOCK", "LLM_TIMEOUT", "LLM_ROUTER_CONFIG", "LLM_ERRORS", "LLM_SDK_RETRIES",
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN",
    "GEMINI_API_KEY", "GOOGLE_API_KEY", "GEMINI_BASE_URL", "XAI_API_KEY", "OPENROUTER_API_KEY",
    "OPENROUTER_BASE_URL", "AWS_PROFILE", "AWS_BEARER_TOKEN_BEDROCK", "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE",
)


def clear_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """None of the variables the service or the handlers read; empty AWS shared files."""
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "aws-config").write_text("")
    (tmp_path / "aws-credentials").write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))


def use_wire(monkeypatch: pytest.MonkeyPatch, upstream: Upstream, wire: str, tmp_path: Path) -> None:
    """The environment of a service whose default model speaks ``wire`` to ``upstream``."""
    clear_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("LLM_DEFAULT_MODEL", MODELS[wire])
    base = upstream.base_url
    if wire == "openai":
        monkeypatch.setenv("OPENAI_BASE_URL", f"{base}/v1")
        monkeypatch.setenv("OPENAI_API_KEY", KEYS[wire])
    elif wire == "anthropic":
        monkeypatch.setenv("ANTHROPIC_BASE_URL", base)
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEYS[wire])
    elif wire == "gemini":
        monkeypatch.setenv("GEMINI_BASE_URL", base)
        monkeypatch.setenv("GEMINI_API_KEY", KEYS[wire])
    elif wire == "bedrock":
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", base)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", clients.AWS_ACCESS_KEY)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", KEYS[wire])
        monkeypatch.setenv("AWS_REGION", clients.AWS_REGION)
    elif wire == "openrouter":
        monkeypatch.setenv("OPENROUTER_BASE_URL", f"{base}/api/v1")
        monkeypatch.setenv("OPENROUTER_API_KEY", KEYS[wire])
    elif wire == "xai":  # a hard-coded host (api.x.ai): the loopback resolver sends it to upstream
        monkeypatch.setenv("XAI_API_KEY", KEYS[wire])
    else:
        raise ValueError(wire)


def ok(wire: str, n: int = 3) -> Reply:
    return Reply(200, {"content-type": CONTENT_TYPE[wire]}, list(EVENTS[wire](n)))


def scenario_entries(provider: str, name: str) -> list[dict[str, Any]]:
    """The upstream entries a recorded scenario serves (fixtures/scenarios/<provider>/<name>), for
    ``upstream.server.add``; a copy the test may change."""
    scenario = json.loads((SCENARIOS / provider / name / "scenario.json").read_text())
    entries: list[dict[str, Any]] = scenario["upstream"]
    return entries


def golden_error(provider: str, name: str) -> dict[str, Any]:
    """What the reference threw in that scenario (its golden's ``error``)."""
    error: dict[str, Any] = json.loads((SCENARIOS / provider / name / "golden.json").read_text())["error"]
    return error
