"""A UTF-8 byte order mark at the start of a body, an error body or an SSE line.

Each SDK does what the fetch and the decoder under it do (recorded from a Node 20 oracle: the
real openai 5.12.2 and @anthropic-ai/sdk 0.37.0 against a local server sending these bodies):

- openai-node on undici: ``response.json()`` / ``text()`` drop a leading BOM (UTF-8 decode), and
  its SSE ``LineDecoder`` decodes each line with ``TextDecoder().decode()``, which drops one BOM
  at the start of every line.
- @anthropic-ai/sdk 0.37.0 on node-fetch 2.7.0: ``Buffer.toString()`` keeps the BOM, so
  ``json()`` rejects with a ``FetchError`` (``invalid json response body at <url> reason: …``),
  an error body's text keeps it, and an SSE line ``\\ufeffevent: …`` names an unknown field, so
  its event has no name and the SDK drops it.
"""

from __future__ import annotations

import json
from typing import Any

from loopback import SYSTEM, Reply, Upstream, collect, sample_service_account

from providers import build_api_handler
from providers.js.errors import JSError
from providers.sdk.google_auth import CLOUD_PLATFORM_SCOPE, V9, V10, GaxiosError, GoogleAuth
from providers.sdk.sse import LineDecoder, SSEStream

BOM = "\ufeff"
HELLO = [{"role": "user", "content": "Say hello."}]


def bom_json(body: Any, status: int = 200) -> Reply:
    text = BOM + json.dumps(body, separators=(",", ":"))
    return Reply(status, {"content-type": "application/json"}, [text.encode()])


def sse(text: str) -> Reply:
    return Reply(200, {"content-type": "text/event-stream"}, [text.encode()])


def openai_settings(upstream: Upstream) -> dict[str, Any]:
    return {
        "apiProvider": "openai",
        "openAiBaseUrl": f"{upstream.base_url}/v1",
        "openAiApiKey": "sk-test-bom",
        "openAiModelId": "gpt-4o",
    }


def anthropic_settings(upstream: Upstream) -> dict[str, Any]:
    return {
        "apiProvider": "anthropic",
        "apiModelId": "claude-sonnet-4-5",
        "apiKey": "sk-ant-test-bom",
        "anthropicBaseUrl": upstream.base_url,
    }


# --- the decoders --------------------------------------------------------------------------------


def test_openai_line_decoder_drops_one_bom_per_line() -> None:
    """openai 5.12.2 ``LineDecoder.decode`` of ``\\ufeffdata: a\\n\\ufeff\\ufeffdata: b\\n\\ufeff\\nx\\n``
    gives ``["data: a", "\\ufeffdata: b", "", "x"]`` (recorded from the oracle)."""
    data = f"{BOM}data: a\n{BOM}{BOM}data: b\n{BOM}\nx\n".encode()
    assert LineDecoder(strip_bom=True).decode(data) == ["data: a", f"{BOM}data: b", "", "x"]
    assert LineDecoder().decode(data) == [f"{BOM}data: a", f"{BOM}{BOM}data: b", BOM, "x"]


def test_a_bom_only_line_ends_an_openai_event() -> None:
    """A line that is only a BOM decodes to "" in openai-node: a blank line, so it dispatches."""
    stream = SSEStream(strip_bom=True)
    assert [e.data for e in stream.feed(f"data: a\n{BOM}\ndata: b\n\n".encode())] == ["a", "b"]
    kept = SSEStream()
    assert [e.data for e in kept.feed(f"data: a\n{BOM}\ndata: b\n\n".encode())] == ["a\nb"]


def test_bom_across_a_carriage_return_split() -> None:
    """The line decoder's slow path (``\\r\\n`` endings) drops the BOM as the fast path does."""
    stream = SSEStream(strip_bom=True)
    events = stream.feed(f"{BOM}data: a\r\n\r\n".encode()) + stream.end()
    assert [(e.event, e.data) for e in events] == [(None, "a")]


# --- openai-node (undici) ------------------------------------------------------------------------


async def test_openai_json_completion_with_a_bom(upstream: Upstream) -> None:
    """Oracle: ``chat.completions.create`` returns the completion ("hello")."""
    completion = {
        "id": "c",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
    }
    upstream.route("/chat/completions", bom_json(completion))
    handler = build_api_handler(openai_settings(upstream))
    assert await handler.complete_prompt("Hi") == "hello"


async def test_openai_error_body_with_a_bom(upstream: Upstream) -> None:
    """Oracle: the SDK throws ``BadRequestError`` "400 bad thing"; openai.ts completePrompt
    wraps it twice (handleOpenAIError at :316, then ``new Error`` at :322), each time with
    "OpenAI completion error: " in front."""
    upstream.route("/chat/completions", bom_json({"error": {"message": "bad thing"}}, status=400))
    handler = build_api_handler(openai_settings(upstream))
    try:
        await handler.complete_prompt("Hi")
    except JSError as exc:
        assert exc.message == "OpenAI completion error: OpenAI completion error: 400 bad thing"
        assert getattr(exc.__cause__, "status", None) == 400
    else:
        raise AssertionError("no error")


async def test_openai_stream_keeps_its_first_event(upstream: Upstream) -> None:
    """Oracle: a stream whose first and second ``data:`` lines start with a BOM yields both
    deltas ("A", "B")."""
    def chunk(text: str) -> str:
        return json.dumps({"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": text}}]})

    upstream.route("/chat/completions", sse(f"{BOM}data: {chunk('A')}\n\n{BOM}data: {chunk('B')}\n\ndata: [DONE]\n\n"))
    handler = build_api_handler(openai_settings(upstream))
    chunks = await collect(handler.create_message(SYSTEM, HELLO))
    assert [c["text"] for c in chunks if c["type"] == "text"] == ["A", "B"]


# --- @anthropic-ai/sdk 0.37.0 (node-fetch 2.7.0) ------------------------------------------------


async def test_anthropic_json_message_with_a_bom(upstream: Upstream) -> None:
    """Oracle: ``messages.create`` rejects with node-fetch's ``FetchError`` "invalid json response
    body at <url> reason: Unexpected token '\\ufeff', "\\ufeff{"id":"m""... is not valid JSON";
    anthropic.ts completePrompt (:395-404) rethrows it as it is."""
    message = {
        "id": "m",
        "type": "message",
        "role": "assistant",
        "content": [{"type": "text", "text": "hello"}],
        "model": "x",
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }
    upstream.route("/v1/messages", bom_json(message))
    handler = build_api_handler(anthropic_settings(upstream))
    try:
        await handler.complete_prompt("Hi")
    except JSError as exc:
        url = f"{upstream.base_url}/v1/messages"
        assert exc.name == "FetchError"
        assert exc.message == f"invalid json response body at {url} reason: Unexpected token '{BOM}', \"{BOM}{{\"id\":\"m\"\"... is not valid JSON"
        assert getattr(exc, "type") == "invalid-json"
    else:
        raise AssertionError("no error")


async def test_anthropic_error_body_keeps_its_bom(upstream: Upstream) -> None:
    """Oracle: ``BadRequestError`` "400 \\ufeff{…}" (the text did not parse, so it is the message)."""
    body = {"type": "error", "error": {"type": "invalid_request_error", "message": "bad thing"}}
    upstream.route("/v1/messages", bom_json(body, status=400))
    handler = build_api_handler(anthropic_settings(upstream))
    try:
        await handler.complete_prompt("Hi")
    except JSError as exc:
        assert exc.message == "400 " + BOM + json.dumps(body, separators=(",", ":"))
        assert exc.status == 400
    else:
        raise AssertionError("no error")


async def test_anthropic_stream_drops_events_whose_line_starts_with_a_bom(upstream: Upstream) -> None:
    """Oracle: of message_start (BOM first), a delta "A" and a delta "B" (BOM before its
    ``event:``), the SDK yields only the "A" delta; so anthropic.ts yields no message_start
    usage and only the text "A"."""
    upstream.route(
        "/v1/messages",
        sse(
            BOM + 'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":3,"output_tokens":0}}}\n\n'
            'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"A"}}\n\n'
            + BOM + 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"B"}}\n\n'
        ),
    )
    handler = build_api_handler(anthropic_settings(upstream))
    chunks = await collect(handler.create_message(SYSTEM, HELLO))
    assert chunks == [{"type": "text", "text": "A"}]


# --- google-auth-library: gaxios 7 on node-fetch 3.3.2 (10.5.0), gaxios 6 on node-fetch 2.7.0 (9.15.1)


def bom_token(status: int = 200) -> Reply:
    return bom_json({"access_token": "ya29.bom", "expires_in": 3599, "token_type": "Bearer"}, status)


async def test_google_auth_10_reads_a_token_response_with_a_bom(upstream: Upstream) -> None:
    """node-fetch 3.3.2's ``text()`` is ``new TextDecoder().decode(buffer)`` (oracle: the BOM is
    gone), so gaxios 7's ``JSON.parse`` reads the token."""
    upstream.route("/token", bom_token())
    auth = GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], credentials=sample_service_account(), version=V10)
    assert await auth.get_request_headers() == {"authorization": "Bearer ya29.bom"}


async def test_google_auth_9_reads_a_bom_body_as_text(upstream: Upstream) -> None:
    """node-fetch 2.7.0's ``text()`` is ``buffer.toString()`` (oracle: the BOM stays), so gaxios
    6's ``JSON.parse`` fails and the body stays a string; transporters.js ``processError`` finds
    no ``body.error`` on it and makes the whole text the message (``err.message = body``)."""
    body = BOM + json.dumps({"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
    upstream.route("/token", Reply(400, {"content-type": "application/json"}, [body.encode()]))
    auth = GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], credentials=sample_service_account(), version=V9)
    try:
        await auth.get_request_headers()
    except GaxiosError as exc:
        assert (exc.message, exc.status) == (body, 400)
    else:
        raise AssertionError("no error")
