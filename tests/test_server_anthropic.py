"""The Anthropic Messages API of the gateway (gateway.server.anthropic_api), with the official
``anthropic`` SDK as its client, over real sockets.

The upstreams are the parity scenarios' own recordings, replayed by the harness's fixture server
(tests/loopback.py): every scenario whose call streams a reply without an error, in every wire
format the port speaks (Anthropic, Claude on Vertex, OpenAI, Azure, OpenRouter, xAI's Responses
API, Gemini, Vertex, Bedrock), with its text, thinking, tool calls and usage. The gateway's
deployment is the scenario's settings; what the handler yields for that upstream is the golden's
``chunks`` (``python -m parity`` holds the port to them). The SDK, streaming
(``messages.stream`` … ``get_final_message``) and not (``messages.create``), must parse every
reply and see the same text, thinking, tool calls and token counts as those chunks.
Then the request's conversion (tools, tool choice, system, options), a mid-stream failure, and
errors in Anthropic's shape.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import anthropic
import pytest
from gateway_server import gateway, key_table
from loopback import Reply, Upstream

from gateway.server.anthropic_api import AnthropicEncoder, fold, openai_tool_choice, openai_tools, parse_request
from gateway.server.errors import HttpProblem
from parity.runner import load_scenario, substitute
from parity.suite import DEFAULT_SCENARIOS, discover
from tools.bench import clients
from tools.bench.server import anthropic_events, openai_events

KEY = "gateway-key-anthropic-0001"
NARROW_KEY = "gateway-key-narrow-0002"


def config(settings: dict[str, Any], router: dict[str, Any] | None = None, **server: Any) -> dict[str, Any]:
    return {
        "router": {"timeout_s": 10.0, **(router or {})},
        "deployments": [{"name": "main", "group": "smart", "settings": settings},
                        {"name": "other", "settings": clients.port_settings("openai", "http://127.0.0.1:9")}],
        "keys": [key_table("team", KEY), key_table("narrow", NARROW_KEY, models=["other"])],
        **({"server": server} if server else {}),
    }


class Gateway:
    """A started gateway (tests/gateway_server.py) and SDK clients of it (no SDK retries)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.client = self.sdk(KEY)

    def sdk(self, key: str) -> anthropic.AsyncAnthropic:
        return anthropic.AsyncAnthropic(base_url=self.base_url, api_key=key, max_retries=0)


@pytest.fixture
async def started() -> AsyncIterator[contextlib.AsyncExitStack]:
    async with contextlib.AsyncExitStack() as stack:
        yield stack


async def start(stack: contextlib.AsyncExitStack, cfg: dict[str, Any]) -> Gateway:
    started = Gateway(await stack.enter_async_context(gateway(cfg)))
    stack.push_async_callback(started.client.close)
    return started


# -- what the handler yields, as the SDK should see it -----------------------------------------


def expected(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """Text, thinking, tool calls ``(id, name, input)`` and summed usage of the handler's chunks.
    A ``tool_call_partial`` call is named by its first fragment; fragments of a call that has
    no name are the Responses API's, whose whole ``tool_call`` follows."""
    text = "".join(c.get("text", "") for c in chunks if c["type"] == "text")
    thinking = "".join(c.get("text", "") for c in chunks if c["type"] == "reasoning")
    calls: list[list[Any]] = []
    by_index: dict[Any, list[Any]] = {}
    for c in chunks:
        if c["type"] == "tool_call_partial":
            if c.get("name") and c.get("index") not in by_index:
                by_index[c.get("index")] = [c.get("id"), c["name"], ""]
                calls.append(by_index[c.get("index")])
            if c.get("index") in by_index:
                by_index[c.get("index")][2] += c.get("arguments") or ""
        elif c["type"] == "tool_call":
            calls.append([c["id"], c["name"], c["arguments"]])
    usage = {k: sum(int(c.get(f, 0)) for c in chunks if c["type"] == "usage")
             for k, f in (("input_tokens", "inputTokens"), ("output_tokens", "outputTokens"),
                          ("cache_creation_input_tokens", "cacheWriteTokens"),
                          ("cache_read_input_tokens", "cacheReadTokens"))}
    return {"text": text, "thinking": thinking,
            "tools": [(i, n, json.loads(a) if a else {}) for i, n, a in calls], "usage": usage}


def seen(message: anthropic.types.Message) -> dict[str, Any]:
    """The same, from the message the SDK parsed."""
    return {
        "text": "".join(b.text for b in message.content if b.type == "text"),
        "thinking": "".join(b.thinking for b in message.content if b.type == "thinking"),
        "tools": [(b.id, b.name, b.input) for b in message.content if b.type == "tool_use"],
        "usage": {k: getattr(message.usage, k) for k in ("input_tokens", "output_tokens",
                                                           "cache_creation_input_tokens", "cache_read_input_tokens")},
    }


def _replies() -> list[Any]:
    params = []
    for directory in discover(DEFAULT_SCENARIOS):
        scenario, golden = load_scenario(directory)
        # (a 429 cools the only deployment down and is the caller's: tests/test_router_faults.py)
        if (scenario["call"]["method"] == "createMessage" and golden and golden["error"] is None and golden["chunks"]
                and all(entry.get("status") != 429 for entry in scenario["upstream"])):
            for streamed in (True, False):
                params.append(pytest.param(directory, streamed,
                                           id=f"{directory.parent.name}/{directory.name}-{'stream' if streamed else 'create'}"))
    return params


MESSAGES: list[Any] = [{"role": "user", "content": "Hi"}]


@pytest.mark.parametrize(("directory", "streamed"), _replies())
async def test_the_sdk_sees_what_the_handler_yields(
    directory: Path, streamed: bool, upstream: Upstream, started: contextlib.AsyncExitStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario, golden = load_scenario(directory)
    assert golden is not None
    for name, value in (scenario.get("env") or {}).items():
        monkeypatch.setenv(name, substitute(str(value), upstream.base_url))
    upstream.server.add(*scenario["upstream"])
    gw = await start(started, config(substitute(scenario["settings"], upstream.base_url)))
    if streamed:
        types: list[str] = []
        async with gw.client.messages.stream(model="main", max_tokens=1024, messages=MESSAGES) as stream:
            async for event in stream:
                types.append(event.type)
                if event.type == "message_start":
                    start_input = event.message.usage.input_tokens
            message = await stream.get_final_message()
        assert types[0] == "message_start" and types[-1] == "message_stop"
        first = golden["chunks"][0]  # a usage chunk first (Anthropic's message_start) is told at once
        assert start_input == (first["inputTokens"] if first["type"] == "usage" else 0)
        assert types.count("content_block_start") == types.count("content_block_stop") == len(message.content)
    else:
        message = await gw.client.messages.create(model="smart", max_tokens=1024, messages=MESSAGES)
    want = expected(golden["chunks"])
    assert seen(message) == want
    assert message.role == "assistant" and message.model in ("main", "smart")
    assert message.stop_reason == ("tool_use" if want["tools"] else "end_turn")


# -- the request ---------------------------------------------------------------------------------

TOOLS: list[Any] = [
    {"name": "read_file", "description": "Read a file", "input_schema": {
        "type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}},
    {"name": "now", "input_schema": {"type": "object", "properties": {}}},
]


async def test_tools_system_and_options_reach_an_openai_upstream(upstream: Upstream, started: contextlib.AsyncExitStack) -> None:
    upstream.reply(Reply(200, {"content-type": "text/event-stream"}, list(openai_events(2))))
    gw = await start(started, config(clients.port_settings("openai", upstream.base_url)))
    message = await gw.client.messages.create(
        model="main", max_tokens=77, extra_body={"temperature": 0.25}, messages=MESSAGES, tools=TOOLS,
        tool_choice={"type": "any", "disable_parallel_tool_use": True},
        system=[{"type": "text", "text": "Be terse."}, {"type": "text", "text": "Be kind."}],
    )
    assert seen(message)["text"] == " tok0 tok1"
    body = upstream.seen[0].json()
    assert body["messages"][0] == {"role": "system", "content": "Be terse.\n\nBe kind."}
    assert body["messages"][1] == {"role": "user", "content": "Hi"}
    assert [t["function"]["name"] for t in body["tools"]] == ["read_file", "now"]
    # the handler makes the schema strict, as the reference does for OpenAI
    assert body["tools"][0]["function"]["parameters"] == {**TOOLS[0]["input_schema"], "additionalProperties": False}
    assert body["tool_choice"] == "required" and body["parallel_tool_calls"] is False
    assert body["temperature"] == 0.25 and body["max_completion_tokens"] == 77


async def test_tools_round_trip_to_an_anthropic_upstream(upstream: Upstream, started: contextlib.AsyncExitStack) -> None:
    upstream.reply(Reply(200, {"content-type": "text/event-stream"}, list(anthropic_events(2))))
    gw = await start(started, config(clients.port_settings("anthropic", upstream.base_url)))
    conversation: list[Any] = [
        {"role": "user", "content": "Read a.txt"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "read_file", "input": {"path": "a.txt"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "hello"}]},
    ]
    async with gw.client.messages.stream(model="main", max_tokens=64, messages=conversation, tools=TOOLS,
                                              tool_choice={"type": "tool", "name": "now"}, system="Sys") as stream:
        message = await stream.get_final_message()
    assert seen(message)["text"] == " tok0 tok1"
    body = upstream.seen[0].json()
    # the handler's conversion back (convertOpenAIToolToAnthropic): the client's tools, a description always
    assert body["tools"] == [TOOLS[0], {"name": "now", "description": "", "input_schema": TOOLS[1]["input_schema"]}]
    assert body["tool_choice"] == {"type": "tool", "name": "now", "disable_parallel_tool_use": False}
    assert body["system"][0]["text"] == "Sys"
    assert [m["content"][0]["type"] for m in body["messages"][1:]] == ["tool_use", "tool_result"]


def test_request_conversion_units() -> None:
    assert openai_tools([{"name": "t", "input_schema": {"type": "object"}}]) == [
        {"type": "function", "function": {"name": "t", "parameters": {"type": "object"}}}]
    assert openai_tool_choice({"type": "auto"}) == ("auto", None)
    assert openai_tool_choice({"type": "none"}) == ("none", None)
    assert openai_tool_choice({"type": "tool", "name": "t", "disable_parallel_tool_use": True}) == (
        {"type": "function", "function": {"name": "t"}}, False)
    parsed = parse_request({"model": "m", "max_tokens": 5, "messages": MESSAGES})
    assert (parsed.system, parsed.temperature, parsed.stream, list(parsed.metadata)) == ("", None, False, ["taskId"])
    for bad in ({"model": "m", "messages": MESSAGES}, {"model": "m", "max_tokens": 5, "messages": []},
                {"model": "m", "max_tokens": 5, "messages": [{"role": "system", "content": "x"}]},
                {"model": "m", "max_tokens": 5, "messages": MESSAGES, "temperature": 2},
                {"model": "m", "max_tokens": 5, "messages": MESSAGES, "tools": [{"name": "t"}]},
                {"model": "m", "max_tokens": 5, "messages": MESSAGES, "system": [{"type": "image"}]}):
        with pytest.raises(HttpProblem) as raised:
            parse_request(bad)
        assert raised.value.status == 400 and raised.value.kind == "invalid_request_error"


def test_encoder_signatures_and_tool_call_chunks() -> None:
    """Chunk kinds no recorded scenario yields through the port's handlers: a reasoning chunk's
    ``signature``, ``thinking_complete``, and the ``tool_call_start/delta/end`` triple."""
    encoder = AnthropicEncoder("m")
    events = [encoder.start()]
    for chunk in ({"type": "reasoning", "text": "hm", "signature": "sig1"}, {"type": "thinking_complete", "signature": "sig2"},
                  {"type": "tool_call_start", "id": "c1", "name": "f"}, {"type": "tool_call_delta", "id": "c1", "delta": '{"a":'},
                  {"type": "tool_call_delta", "id": "c1", "delta": "1}"}, {"type": "tool_call_end", "id": "c1"},
                  {"type": "text", "text": "ok"}, {"type": "usage", "inputTokens": 3, "outputTokens": 4}):
        events.extend(encoder.feed(chunk))
    events.extend(encoder.finish())
    message = fold(events)
    assert message["content"] == [
        {"type": "thinking", "thinking": "hm", "signature": "sig2"},
        {"type": "tool_use", "id": "c1", "name": "f", "input": {"a": 1}},
        {"type": "text", "text": "ok"},
    ]
    assert message["stop_reason"] == "tool_use" and message["usage"]["output_tokens"] == 4
    assert [e["delta"]["type"] for e in events if e["type"] == "content_block_delta"] == [
        "thinking_delta", "signature_delta", "signature_delta", "input_json_delta", "input_json_delta", "text_delta"]


async def test_an_optillm_strategy_by_model_name(upstream: Upstream, started: contextlib.AsyncExitStack) -> None:
    """bon (n 3): three samples and three ratings upstream, its answer back as one text block."""
    upstream.server.add(Reply(200, {"content-type": "text/event-stream"}, list(openai_events(3))).entry(times=6))
    gw = await start(started, config(clients.port_settings("openai", upstream.base_url)))
    message = await gw.client.messages.create(model="bon-main", max_tokens=64, messages=MESSAGES)
    assert seen(message) == {"text": " tok0 tok1 tok2", "thinking": "", "tools": [], "usage": {
        "input_tokens": 6 * 21, "output_tokens": 6 * 3, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}}
    assert len(upstream.seen) == 6


# -- failures ------------------------------------------------------------------------------------


async def test_a_stream_cut_mid_way_raises_in_the_sdk_without_message_stop(upstream: Upstream, started: contextlib.AsyncExitStack) -> None:
    events = anthropic_events(3)
    upstream.reply(Reply(200, {"content-type": "text/event-stream"}, [b"".join(events[:3]), events[3], events[4]],
                         delay_ms=50, cut_after=2))
    gw = await start(started, config(clients.port_settings("anthropic", upstream.base_url)))
    types: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as raised:
        async with gw.client.messages.stream(model="main", max_tokens=64, messages=MESSAGES) as stream:
            async for event in stream:
                types.append(event.type)
    assert "message_stop" not in types and "message_delta" not in types
    assert types[0] == "message_start" and types.count("text") >= 2
    assert raised.value.body == {"type": "error", "error": {
        "type": "api_error", "message": "stream from deployment 'main' broke after 4 chunk(s): Premature close"}}


async def test_a_reply_cut_mid_way_without_stream_is_a_502(upstream: Upstream, started: contextlib.AsyncExitStack) -> None:
    events = anthropic_events(3)
    upstream.reply(Reply(200, {"content-type": "text/event-stream"}, [b"".join(events[:3]), events[3], events[4]],
                         delay_ms=50, cut_after=2))
    gw = await start(started, config(clients.port_settings("anthropic", upstream.base_url)))
    with pytest.raises(anthropic.APIStatusError) as raised:
        await gw.client.messages.create(model="main", max_tokens=64, messages=MESSAGES)
    assert raised.value.status_code == 502
    assert raised.value.body == {"type": "error", "error": {
        "type": "api_error", "message": "stream from deployment 'main' broke after 4 chunk(s): Premature close"}}


def _fault(status: int, kind: str) -> Reply:
    return Reply.json({"type": "error", "error": {"type": kind, "message": f"upstream says {status}"}}, status)


@pytest.mark.parametrize(("status", "kind", "sdk_error"), [
    (429, "rate_limit_error", anthropic.RateLimitError),
    (500, "api_error", anthropic.InternalServerError),
    (529, "overloaded_error", anthropic.InternalServerError),
    (400, "invalid_request_error", anthropic.BadRequestError),
])
async def test_an_upstream_error_before_the_stream_is_answered_in_anthropics_shape(
    upstream: Upstream, started: contextlib.AsyncExitStack, status: int, kind: str, sdk_error: type[Exception]
) -> None:
    upstream.server.add(_fault(status, kind).entry(times=5))
    gw = await start(started, config(clients.port_settings("anthropic", upstream.base_url), {"max_retries": 0}))
    with pytest.raises(sdk_error) as raised:
        async with gw.client.messages.stream(model="main", max_tokens=64, messages=MESSAGES) as stream:
            await stream.get_final_message()
    assert raised.value.status_code == status  # type: ignore[attr-defined]
    body = raised.value.body  # type: ignore[attr-defined]
    assert body["type"] == "error" and body["error"]["type"] == kind
    # the reference's error message: the status and the upstream's body
    assert body["error"]["message"].startswith(f"{status} ") and f"upstream says {status}" in body["error"]["message"]
    assert raised.value.response.headers["x-request-id"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("key", "request_model", "max_tokens", "sdk_error", "status", "kind"), [
    (None, "main", 8, anthropic.AuthenticationError, 401, "authentication_error"),
    ("wrong-key", "main", 8, anthropic.AuthenticationError, 401, "authentication_error"),
    (NARROW_KEY, "main", 8, anthropic.PermissionDeniedError, 403, "permission_error"),
    (KEY, "nope", 8, anthropic.NotFoundError, 404, "not_found_error"),
    (KEY, "main", 0, anthropic.BadRequestError, 400, "invalid_request_error"),
])
async def test_gateway_errors_in_anthropics_shape(
    upstream: Upstream, started: contextlib.AsyncExitStack, key: str | None, request_model: str, max_tokens: int,
    sdk_error: type[Exception], status: int, kind: str,
) -> None:
    gw = await start(started, config(clients.port_settings("anthropic", upstream.base_url)))
    client = gw.sdk(key or "unused")
    try:
        with pytest.raises(sdk_error) as raised:
            await client.messages.create(model=request_model, max_tokens=max_tokens, messages=MESSAGES,
                                         extra_headers={} if key else {"x-api-key": anthropic.Omit()})
    finally:
        await client.close()
    assert raised.value.status_code == status  # type: ignore[attr-defined]
    assert raised.value.body["type"] == "error" and raised.value.body["error"]["type"] == kind  # type: ignore[attr-defined]
    assert upstream.seen == []


async def test_a_body_over_the_limit_is_a_413_request_too_large(upstream: Upstream, started: contextlib.AsyncExitStack) -> None:
    gw = await start(started, config(clients.port_settings("anthropic", upstream.base_url), max_body_bytes=2_000))
    with pytest.raises(anthropic.APIStatusError) as raised:
        await gw.client.messages.create(model="main", max_tokens=8, messages=[{"role": "user", "content": "x" * 5_000}])
    assert raised.value.status_code == 413
    assert raised.value.body["error"]["type"] == "request_too_large"  # type: ignore[index]
    assert upstream.seen == []


def msg(**fields: Any) -> bytes:
    return json.dumps({"model": "main", "max_tokens": 8, "messages": MESSAGES, **fields}).encode()


def block(**fields: Any) -> bytes:
    return msg(messages=[{"role": "user", "content": [fields]}])


# (id, body, status); every one answered in Anthropic's shape, nothing sent upstream
MALFORMED = [
    ("not-json", b'{"model": ', 400),
    ("array-body", b"[1]", 400),
    ("no-model", json.dumps({"max_tokens": 8, "messages": MESSAGES}).encode(), 400),
    ("model-number", msg(model=3), 400),
    ("no-max-tokens", json.dumps({"model": "main", "messages": MESSAGES}).encode(), 400),
    ("max-tokens-string", msg(max_tokens="8"), 400),
    ("max-tokens-bool", msg(max_tokens=True), 400),
    ("messages-empty", msg(messages=[]), 400),
    ("messages-object", msg(messages={"role": "user"}), 400),
    ("role-system", msg(messages=[{"role": "system", "content": "x"}]), 400),
    ("content-number", msg(messages=[{"role": "user", "content": 3}]), 400),
    ("block-unknown", block(type="audio"), 400),
    ("text-not-string", block(type="text", text=1), 400),
    ("image-url-source", block(type="image", source={"type": "url", "url": "https://example.com/a.png"}), 400),
    ("tool-use-no-input", block(type="tool_use", id="t1", name="f"), 400),
    ("tool-result-no-id", block(type="tool_result", content="42"), 400),
    ("tool-result-bad-inner", block(type="tool_result", tool_use_id="t1", content=[{"type": "video"}]), 400),
    ("system-number", msg(system=5), 400),
    ("temperature-range", msg(temperature=1.5), 400),
    ("stream-string", msg(stream="yes"), 400),
    ("tools-object", msg(tools={"name": "f"}), 400),
    ("tool-no-schema", msg(tools=[{"name": "f"}]), 400),
    ("tool-choice-unknown", msg(tool_choice={"type": "always"}), 400),
    ("tool-choice-no-name", msg(tool_choice={"type": "tool"}), 400),
    ("unknown-model", msg(model="claude-9"), 404),
    ("too-large", msg(messages=[{"role": "user", "content": "x" * 5000}]), 413),
]


@pytest.mark.parametrize(("body", "status"), [case[1:] for case in MALFORMED], ids=[case[0] for case in MALFORMED])
async def test_malformed_messages_request(upstream: Upstream, body: bytes, status: int) -> None:
    async with gateway(config(clients.port_settings("anthropic", upstream.base_url), max_body_bytes=4096)) as origin:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{origin}/v1/messages", data=body, headers={"x-api-key": KEY}) as response:
                answer = await response.json()
            # the server is unharmed: the next request is served
            async with http.post(f"{origin}/v1/messages", data=msg(model="nope"), headers={"x-api-key": KEY}) as after:
                assert after.status == 404
    assert response.status == status
    assert answer["type"] == "error" and set(answer["error"]) == {"type", "message"}
    assert answer["error"]["type"] == {400: "invalid_request_error", 404: "not_found_error", 413: "request_too_large"}[status]
    assert upstream.seen == []
