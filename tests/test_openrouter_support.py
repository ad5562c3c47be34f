"""A loopback run of the OpenRouter handler for the OpenRouter tests (no tests of its own).

``parity.runner.serve`` replays upstream entries in the scenario format on the harness's fixture
server; the transport's resolver sends ``openrouter.ai`` to its TLS listener, so the model list
keeps its real URL, ``Host`` and SNI. Unlike ``parity.runner.run_scenario`` this keeps the
handler, so a test can read ``get_model()`` and ``get_reasoning_details()`` after the call.
Caches are emptied before each test, as each reference run started in a fresh process.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import loopback
import pytest
from loopback import PLATFORM_HEADERS, SYSTEM

import providers
from parity.runner import serve
from parity.tls import TLSFiles
from providers.fetchers import reset_caches, set_cache_directory

SCENARIOS = loopback.SCENARIOS / "openrouter"
SAMPLE_KEY = "sk-or-v1-SAMPLETESTKEY00000000000000000000000000000000000000000000"
HELLO = [{"role": "user", "content": [{"type": "text", "text": "Say hello."}]}]
MODELS_URL = "https://openrouter.ai/api/v1/models"


def recorded_models_entry() -> dict[str, Any]:
    """The model list entry of the recorded scenarios (``GET …/models``, up to 6 times)."""
    scenario = json.loads((SCENARIOS / "text_stream_cost" / "scenario.json").read_text(encoding="utf-8"))
    entry = scenario["upstream"][0]
    assert entry["match"]["url_regex"] == "/api/v1/models$"
    return dict(entry)


def recorded_models() -> list[dict[str, Any]]:
    """The recorded model list's ``data``."""
    return json.loads("".join(recorded_models_entry()["body_chunks"]))["data"]  # type: ignore[no-any-return]


def json_entry(body: Any, status: int = 200, **spec: Any) -> dict[str, Any]:
    return {"status": status, "headers": {"content-type": "application/json"}, "body_chunks": [json.dumps(body)], **spec}


def sse_entry(*chunks: dict[str, Any], **spec: Any) -> dict[str, Any]:
    """A chat completions stream as OpenRouter writes it (processing comment, data lines, [DONE])."""
    body = [": OPENROUTER PROCESSING\n\n"]
    body += [f"data: {json.dumps(chunk, separators=(',', ':'))}\n\n" for chunk in chunks]
    body.append("data: [DONE]\n\n")
    return {"status": 200, "headers": {"content-type": "text/event-stream"}, "body_chunks": body, "match": {"method": "POST"}, **spec}


def delta_chunk(delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": "gen-1",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        **extra,
    }


def usage_chunk(**usage: Any) -> dict[str, Any]:
    return delta_chunk({"role": "assistant", "content": ""}, usage=usage)


@dataclass
class Run:
    """What one call did: the handler, the requests the upstream saw, and the call's outcome."""

    handler: Any
    requests: list[dict[str, Any]]
    chunks: list[dict[str, Any]] = field(default_factory=list)
    result: Any = None
    error: BaseException | None = None

    def gets(self) -> list[str]:
        """The GET requests' original URLs, sorted (concurrent requests arrive in either order)."""
        return sorted(r["original_url"] or r["url"] for r in self.requests if r["method"] == "GET")

    def posts(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == "POST"]

    def body(self) -> Any:
        (post,) = self.posts()
        return post["body"]

    def post_view(self) -> list[dict[str, Any]]:
        """The completion requests without platform headers, the key cut short, the body as
        indented JSON in the order it was sent."""
        out = []
        for request in self.posts():
            headers = {k: v for k, v in request["headers"].items() if k not in PLATFORM_HEADERS | {"host"}}
            headers["authorization"] = headers["authorization"][:16] + "…"
            out.append({"url": request["url"], "headers": headers, "body": json.dumps(request["body"], indent=2, ensure_ascii=False)})
        return out


async def run(
    tls_files: TLSFiles,
    upstream: list[dict[str, Any]],
    *,
    model_id: str = "anthropic/claude-sonnet-4.5",
    messages: list[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
    prompt: str | None = None,
    settle_s: float = 0.1,
    handler: Any = None,
    **settings: Any,
) -> Run:
    """Build an OpenRouter handler (``openRouterBaseUrl`` at the fixture server) and make one
    call; or make it with ``handler``, built beforehand for the real host."""
    async with serve(tls_files, upstream) as server:
        if handler is None:
            handler = providers.build_api_handler(
                {
                    "apiProvider": "openrouter",
                    "openRouterApiKey": SAMPLE_KEY,
                    "openRouterModelId": model_id,
                    "openRouterBaseUrl": f"{server.base_url}/api/v1",
                    **settings,
                }
            )
        outcome = Run(handler, server.requests)
        try:
            if prompt is not None:
                outcome.result = await handler.complete_prompt(prompt)
            else:
                stream = handler.create_message(SYSTEM, messages or HELLO, metadata or {"taskId": "task-1"})
                async for chunk in stream:
                    outcome.chunks.append(chunk)
        except Exception as exc:  # noqa: BLE001  the error is part of the outcome
            outcome.error = exc
        await asyncio.sleep(settle_s)  # the background model load finishes
    return outcome


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    """Every test starts as a new process would: empty caches, no disk cache."""
    reset_caches()
    yield
    reset_caches()
    set_cache_directory(None)
