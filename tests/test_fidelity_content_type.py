"""Which success bodies each SDK reads as JSON (``defaultParseResponse``), by content-type.

openai 5.12.2 (internal/parse.ts): the media type before any ``;`` contains ``application/json``
or ends with ``+json``. @anthropic-ai/sdk 0.37.0 (core.ts): the whole header contains
``application/json`` or ``application/vnd.api+json``. Anything else is returned as text.
Recorded from a Node 20 oracle (both SDKs against a local server): ``application/problem+json``
is JSON to openai-node and text to the Anthropic SDK; ``text/plain; x=application/json`` the
other way round; ``Application/JSON`` is text to both.
"""

from __future__ import annotations

import json

import pytest
from loopback import Reply, Upstream

from providers import build_api_handler
from providers.js.errors import JSError

COMPLETION = {"id": "c", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}]}
MESSAGE = {"id": "m", "type": "message", "role": "assistant", "content": [{"type": "text", "text": "hello"}], "model": "x", "stop_reason": "end_turn", "usage": {"input_tokens": 1, "output_tokens": 1}}


def reply(body: object, content_type: str) -> Reply:
    return Reply(200, {"content-type": content_type}, [json.dumps(body).encode()])


async def openai_complete(upstream: Upstream, content_type: str) -> str:
    upstream.route("/chat/completions", reply(COMPLETION, content_type))
    handler = build_api_handler(
        {"apiProvider": "openai", "openAiBaseUrl": f"{upstream.base_url}/v1", "openAiApiKey": "sk-test-ct", "openAiModelId": "gpt-4o"}
    )
    return await handler.complete_prompt("Hi")  # type: ignore[no-any-return]


async def anthropic_complete(upstream: Upstream, content_type: str) -> str:
    upstream.route("/v1/messages", reply(MESSAGE, content_type))
    handler = build_api_handler(
        {"apiProvider": "anthropic", "apiModelId": "claude-sonnet-4-5", "apiKey": "sk-ant-test-ct", "anthropicBaseUrl": upstream.base_url}
    )
    return await handler.complete_prompt("Hi")  # type: ignore[no-any-return]


@pytest.mark.parametrize("content_type", ["application/problem+json", "application/vnd.api+json"])
async def test_openai_reads_json_media_types(upstream: Upstream, content_type: str) -> None:
    assert await openai_complete(upstream, content_type) == "hello"


@pytest.mark.parametrize("content_type", ["text/plain; x=application/json", "Application/JSON"])
async def test_openai_reads_other_types_as_text(upstream: Upstream, content_type: str) -> None:
    """A text response: ``response.choices?.[0]?.message.content`` short-circuits to undefined,
    so completePrompt returns ""."""
    assert await openai_complete(upstream, content_type) == ""


@pytest.mark.parametrize("content_type", ["text/plain; x=application/json", "application/vnd.api+json"])
async def test_anthropic_reads_json_anywhere_in_the_header(upstream: Upstream, content_type: str) -> None:
    assert await anthropic_complete(upstream, content_type) == "hello"


@pytest.mark.parametrize("content_type", ["application/problem+json", "Application/JSON"])
async def test_anthropic_reads_other_types_as_text(upstream: Upstream, content_type: str) -> None:
    """A text response: anthropic.ts completePrompt's ``message.content.find`` on a string."""
    with pytest.raises(JSError) as caught:
        await anthropic_complete(upstream, content_type)
    assert caught.value.message == "Cannot read properties of undefined (reading 'find')"
