"""Scripted model replies in four wire formats, for the LLM manager's tests (no tests).

``text_reply(wire, text)`` answers with text, ``tool_reply(wire, calls, text)`` asks for tool
calls (``calls``: ``(id, name, arguments)``), each as the real API streams it: OpenAI
chat-completions SSE, Anthropic Messages SSE, Gemini ``alt=sse``, Bedrock ConverseStream
event-stream frames. ``provider_config(wire, base_url)`` is the manager's provider for the
loopback upstream; ``tool_results(wire, body)`` reads the tool results a request sent back, in
that wire's own format, as ``(call id or name, content, is_error)``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from loopback import Reply

from gateway.manager import ProviderConfig
from tools.bench.server import event_stream_frame


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """(autouse where imported) No AWS profile or region, SDK base URL or ``GATEWAY_DB`` of the
    caller's environment reaches a test."""
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL",
                 "GEMINI_BASE_URL", "GATEWAY_DB"):
        monkeypatch.delenv(name, raising=False)

WIRES = ("openai", "anthropic", "gemini", "bedrock")
MODELS = {
    "openai": "gpt-4o",
    "anthropic": "claude-sonnet-4-5",
    "gemini": "gemini-2.5-flash",
    "bedrock": "anthropic.claude-sonnet-4-5-20250929-v1:0",
}
KEYS = {
    "openai": "sk-proj-SAMPLETESTKEY0000000000000000",
    "anthropic": "sk-ant-api03-SAMPLETESTKEY000000000000000000000000000000",
    "gemini": "AIzaSySAMPLETESTKEY000000000000000000000",
    "bedrock": "ABSKSAMPLETESTBEARERTOKEN0000000000",
}
CONTENT_TYPE = {
    "openai": "text/event-stream; charset=utf-8",
    "anthropic": "text/event-stream; charset=utf-8",
    "gemini": "text/event-stream",
    "bedrock": "application/vnd.amazon.eventstream",
}
INPUT_TOKENS, OUTPUT_TOKENS = 30, 7


def provider_config(wire: str, base_url: str, **options: Any) -> ProviderConfig:
    api_base = f"{base_url}/v1" if wire == "openai" else base_url
    return ProviderConfig(provider=wire, model=MODELS[wire], api_key=KEYS[wire], api_base=api_base, **options)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _sse(value: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {value if isinstance(value, str) else _compact(value)}\n\n".encode()


Call = tuple[str, str, dict[str, Any]]


def _openai(text: str, calls: list[Call]) -> list[bytes]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        return _sse({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1767225600, "model": "gpt-4o",
                     "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}], "usage": None})

    events = [chunk({"role": "assistant", "content": ""})]
    for piece in _pieces(text):
        events.append(chunk({"content": piece}))
    for i, (call_id, name, arguments) in enumerate(calls):
        encoded = _compact(arguments)
        half = len(encoded) // 2
        events.append(chunk({"tool_calls": [{"index": i, "id": call_id, "type": "function",
                                             "function": {"name": name, "arguments": encoded[:half]}}]}))
        events.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": encoded[half:]}}]}))
    events.append(chunk({}, "tool_calls" if calls else "stop"))
    usage = {"prompt_tokens": INPUT_TOKENS, "completion_tokens": OUTPUT_TOKENS,
             "total_tokens": INPUT_TOKENS + OUTPUT_TOKENS}
    events.append(_sse({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1767225600,
                        "model": "gpt-4o", "choices": [], "usage": usage}))
    events.append(_sse("[DONE]"))
    return events


def _anthropic(text: str, calls: list[Call]) -> list[bytes]:
    start = {"type": "message_start", "message": {
        "model": "claude-sonnet-4-5-20250929", "id": "msg_01", "type": "message", "role": "assistant", "content": [],
        "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": INPUT_TOKENS, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
                  "output_tokens": 1}}}
    events = [_sse(start, "message_start")]
    index = 0
    if text:
        events.append(_sse({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
                           "content_block_start"))
        for piece in _pieces(text):
            events.append(_sse({"type": "content_block_delta", "index": 0,
                                "delta": {"type": "text_delta", "text": piece}}, "content_block_delta"))
        events.append(_sse({"type": "content_block_stop", "index": 0}, "content_block_stop"))
        index = 1
    for call_id, name, arguments in calls:
        events.append(_sse({"type": "content_block_start", "index": index,
                            "content_block": {"type": "tool_use", "id": call_id, "name": name, "input": {}}},
                           "content_block_start"))
        encoded = _compact(arguments)
        half = len(encoded) // 2
        for part in (encoded[:half], encoded[half:]):
            events.append(_sse({"type": "content_block_delta", "index": index,
                                "delta": {"type": "input_json_delta", "partial_json": part}}, "content_block_delta"))
        events.append(_sse({"type": "content_block_stop", "index": index}, "content_block_stop"))
        index += 1
    events.append(_sse({"type": "message_delta", "delta": {"stop_reason": "tool_use" if calls else "end_turn",
                                                           "stop_sequence": None},
                        "usage": {"output_tokens": OUTPUT_TOKENS}}, "message_delta"))
    events.append(_sse({"type": "message_stop"}, "message_stop"))
    return events


def _gemini(text: str, calls: list[Call]) -> list[bytes]:
    def event(parts: list[dict[str, Any]], final: bool) -> bytes:
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
        usage: dict[str, Any] = {"promptTokenCount": INPUT_TOKENS, "totalTokenCount": INPUT_TOKENS}
        if final:
            candidate["finishReason"] = "STOP"
            usage = {"promptTokenCount": INPUT_TOKENS, "candidatesTokenCount": OUTPUT_TOKENS,
                     "totalTokenCount": INPUT_TOKENS + OUTPUT_TOKENS}
        body = {"candidates": [candidate], "usageMetadata": usage, "modelVersion": "gemini-2.5-flash",
                "responseId": "resp-1"}
        return f"data: {_compact(body)}\r\n\r\n".encode()

    parts = [[{"text": piece}] for piece in _pieces(text)]
    if calls or not parts:
        parts.append([{"functionCall": {"name": name, "args": arguments}} for _, name, arguments in calls])
    return [event(p, i == len(parts) - 1) for i, p in enumerate(parts)]


def _bedrock(text: str, calls: list[Call]) -> list[bytes]:
    def frame(kind: str, payload: dict[str, Any]) -> bytes:
        return event_stream_frame(kind, _compact(payload).encode())

    events = [frame("messageStart", {"role": "assistant"})]
    index = 0
    if text:
        for piece in _pieces(text):
            events.append(frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": piece}}))
        events.append(frame("contentBlockStop", {"contentBlockIndex": 0}))
        index = 1
    for call_id, name, arguments in calls:
        events.append(frame("contentBlockStart", {"contentBlockIndex": index,
                                                  "start": {"toolUse": {"toolUseId": call_id, "name": name}}}))
        events.append(frame("contentBlockDelta", {"contentBlockIndex": index,
                                                  "delta": {"toolUse": {"input": _compact(arguments)}}}))
        events.append(frame("contentBlockStop", {"contentBlockIndex": index}))
        index += 1
    events.append(frame("messageStop", {"stopReason": "tool_use" if calls else "end_turn"}))
    events.append(frame("metadata", {"metrics": {"latencyMs": 12}, "usage": {
        "inputTokens": INPUT_TOKENS, "outputTokens": OUTPUT_TOKENS, "totalTokens": INPUT_TOKENS + OUTPUT_TOKENS}}))
    return events


BUILDERS = {"openai": _openai, "anthropic": _anthropic, "gemini": _gemini, "bedrock": _bedrock}


def _pieces(text: str) -> list[str]:
    """``text`` as the deltas a model streams: word by word, spaces kept."""
    if not text:
        return []
    words = text.split(" ")
    return [w if i == 0 else " " + w for i, w in enumerate(words)]


def tool_reply(wire: str, calls: list[Call], text: str = "") -> Reply:
    return Reply(200, {"content-type": CONTENT_TYPE[wire]}, BUILDERS[wire](text, calls))


def text_reply(wire: str, text: str) -> Reply:
    return Reply(200, {"content-type": CONTENT_TYPE[wire]}, BUILDERS[wire](text, []))


def error_reply(wire: str, status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    """An error as each API words it."""
    if wire == "openai":
        kind = {401: "invalid_request_error", 429: "rate_limit_error"}.get(status, "api_error")
        body: dict[str, Any] = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    elif wire == "anthropic":
        kind = {401: "authentication_error", 429: "rate_limit_error"}.get(status, "api_error")
        body = {"type": "error", "error": {"type": kind, "message": message}}
    elif wire == "gemini":
        state = {401: "UNAUTHENTICATED", 429: "RESOURCE_EXHAUSTED"}.get(status, "INTERNAL")
        body = {"error": {"code": status, "message": message, "status": state}}
        if headers and "retry-after" in headers:  # Google says how long in the body
            body["error"]["details"] = [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                                         "retryDelay": f"{headers['retry-after']}s"}]
    else:
        kind = {401: "UnrecognizedClientException", 429: "ThrottlingException"}.get(status, "InternalServerException")
        body = {"message": message}
        headers = {"x-amzn-errortype": f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/", **(headers or {})}
    return Reply.json(body, status, headers)


# --- what the model got back ------------------------------------------------------------------


def tool_results(wire: str, body: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """The tool results of the request's last message(s), in the wire's format:
    OpenAI ``tool`` messages (``tool_call_id``, content; no error flag on that wire), Anthropic
    ``tool_result`` blocks (``is_error``), Gemini ``functionResponse`` parts (by name; no error
    flag), Bedrock ``toolResult`` blocks (``status``)."""
    if wire == "openai":
        out = []
        for message in reversed(body["messages"]):
            if message["role"] != "tool":
                break
            out.append((message["tool_call_id"], message["content"], False))
        return out[::-1]
    if wire == "anthropic":
        last = body["messages"][-1]
        return [(b["tool_use_id"], _text(b["content"]), bool(b.get("is_error")))
                for b in last["content"] if b.get("type") == "tool_result"]
    if wire == "gemini":
        last = body["contents"][-1]
        return [(p["functionResponse"]["name"], p["functionResponse"]["response"]["content"], False)
                for p in last["parts"] if "functionResponse" in p]
    last = body["messages"][-1]
    return [(b["toolResult"]["toolUseId"], b["toolResult"]["content"][0]["text"], b["toolResult"]["status"] == "error")
            for b in last["content"] if "toolResult" in b]


def tool_calls_sent(wire: str, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every tool call the request's history carries (name, arguments), in the wire's format."""
    out: list[tuple[str, dict[str, Any]]] = []
    if wire == "openai":
        for message in body["messages"]:
            for call in message.get("tool_calls") or []:
                out.append((call["function"]["name"], json.loads(call["function"]["arguments"])))
    elif wire == "anthropic":
        for message in body["messages"]:
            if isinstance(message["content"], list):
                out += [(b["name"], b["input"]) for b in message["content"] if b.get("type") == "tool_use"]
    elif wire == "gemini":
        for content in body["contents"]:
            out += [(p["functionCall"]["name"], p["functionCall"]["args"]) for p in content["parts"] if "functionCall" in p]
    else:
        for message in body["messages"]:
            out += [(b["toolUse"]["name"], b["toolUse"]["input"]) for b in message["content"] if "toolUse" in b]
    return out


def offered_tools(wire: str, body: dict[str, Any]) -> list[str]:
    """The names of the tools the request offered, in the wire's format."""
    if wire == "openai":
        return [t["function"]["name"] for t in body.get("tools") or []]
    if wire == "anthropic":
        return [t["name"] for t in body.get("tools") or []]
    if wire == "gemini":
        return [d["name"] for t in body.get("tools") or [] for d in t.get("functionDeclarations") or []]
    return [t["toolSpec"]["name"] for t in (body.get("toolConfig") or {}).get("tools") or []]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content)
