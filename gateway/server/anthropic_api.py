"""The Anthropic Messages API, ``POST /v1/messages``, on the router (ours).

A request becomes one ``create_message`` call of the router restricted to the deployment or
group ``model`` names: the reference's messages are Anthropic's ``MessageParam``s, so
``messages`` pass through unchanged; ``system`` (a string or text blocks) is the system prompt;
``tools`` and ``tool_choice`` go to ``metadata`` in OpenAI's function format, as every handler
takes them; ``max_tokens`` and ``temperature`` are the deployments' per-call options
(``Router.with_options``). The handler's chunks come back as Anthropic's stream events
(``AnthropicEncoder``): ``text`` → a text block, ``reasoning`` → a thinking block (its
``signature``, or a ``thinking_complete`` chunk's, as a ``signature_delta``), the tool call
chunks → ``tool_use`` blocks with ``input_json_delta``s, the usage chunks summed into the
``message_start`` / ``message_delta`` usage. Without ``stream`` the same events are folded into
one ``message`` object.

Nothing is sent to the client before the first chunk: an upstream that fails before it answers
with its status in Anthropic's error shape (``anthropic_shape``). A stream that breaks after it
(``StreamInterrupted``) ends with ``event: error`` and no ``message_stop``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web


from .auth import admit
from .errors import CLIENT_GONE, HttpProblem, json_body, register_shape, request_log, upstream_problem
from .state import STATE, strategy_chunks
from .streaming import SSE_HEADERS, SseResponse, StreamWriter, json_bytes

PATH = "/v1/messages"
routes = web.RouteTableDef()
STOP_END_TURN = "end_turn"
STOP_TOOL_USE = "tool_use"


def anthropic_shape(problem: HttpProblem) -> dict[str, Any]:
    """Anthropic's error object: ``{"type": "error", "error": {"type", "message"}}``."""
    return {"type": "error", "error": {"type": problem.kind, "message": problem.message}}


register_shape(PATH, anthropic_shape)


@routes.post(PATH)
async def messages(request: web.Request) -> web.StreamResponse:
    """``POST /v1/messages``: the reply streamed as Anthropic's events, or one ``message``."""
    state = request.app[STATE]
    key = await admit(request)
    body = await json_body(request)
    parsed = parse_request(body)
    target = state.resolve(parsed.model, key, body.get("optillm_approach"))
    log = request_log()
    log.route(target.name)
    if target.strategy is not None:
        try:
            result = await state.run_strategy(target, parsed.messages, parsed.system, parsed.max_tokens)
        except Exception as error:
            raise upstream_problem(error, state.redact) from error
        stream: AsyncGenerator[dict[str, Any], None] = log.chunks(strategy_chunks(result))
    else:
        router = state.with_options(target, parsed.temperature, parsed.max_tokens)
        stream = log.chunks(router.create_message(parsed.system, parsed.messages, parsed.metadata,
                                                  key_id=None if key is None else key.id))
    encoder = AnthropicEncoder(parsed.model)
    try:
        # nothing is answered before the first chunk: a failure until then has its own status
        try:
            first = await stream.__anext__()
        except Exception as error:
            raise upstream_problem(error, state.redact) from error
        if parsed.stream:
            return await _stream(request, encoder, first, stream, state.redact)
        events = [encoder.start(), *encoder.feed(first)]
        try:
            async for chunk in stream:
                events.extend(encoder.feed(chunk))
        except Exception as error:
            raise upstream_problem(error, state.redact) from error
        events.extend(encoder.finish())
        return web.json_response(fold(events))
    finally:
        await stream.aclose()  # a client gone, a failure: the upstream request is closed with it
        log.tokens = encoder.input_tokens + encoder.output_tokens


async def _stream(
    request: web.Request, encoder: AnthropicEncoder, first: dict[str, Any],
    stream: AsyncGenerator[dict[str, Any], None], redact: Any,
) -> web.StreamResponse:
    response = SseResponse(headers=SSE_HEADERS)
    await response.prepare(request)
    writer = StreamWriter(response)
    opening = encoder.feed(first)  # (a first usage chunk is message_start's)
    try:
        writer.add(_sse(encoder.start()) + _sse({"type": "ping"}) + b"".join(map(_sse, opening)))
        try:
            async for chunk in writer.chunks(stream):
                events = encoder.feed(chunk)
                if events:
                    writer.add(b"".join(map(_sse, events)))
        except ConnectionError:
            raise
        except Exception as error:  # StreamInterrupted: an error event, never message_stop
            problem = upstream_problem(error, redact)
            request_log().status = problem.status
            await writer.end(_sse(anthropic_shape(problem)))
        else:
            await writer.end(b"".join(map(_sse, encoder.finish())))
    except ConnectionError:  # the client went away: nothing to tell it
        request_log().status = CLIENT_GONE
    return response


def _sse(event: dict[str, Any]) -> bytes:
    return b"event: " + str(event["type"]).encode() + b"\ndata: " + json_bytes(event) + b"\n\n"


# -- the request ---------------------------------------------------------------------------


@dataclass(slots=True)
class MessagesRequest:
    """A checked Messages API request, as the router takes it."""

    model: str
    system: str
    messages: list[dict[str, Any]]
    metadata: dict[str, Any]
    max_tokens: int
    temperature: float | None
    stream: bool


def _bad(message: str) -> HttpProblem:
    return HttpProblem(400, message, "invalid_request_error")


def parse_request(body: dict[str, Any]) -> MessagesRequest:
    """The request body, checked as the Messages API checks it (400 ``invalid_request_error``
    naming the field otherwise)."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _bad("model: a non-empty string is required")
    max_tokens = body.get("max_tokens")
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise _bad("max_tokens: a positive integer is required")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _bad("messages: a non-empty list is required")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise _bad(f"messages.{i}: an object with role \"user\" or \"assistant\" is required")
        content = message.get("content")
        if isinstance(content, list):
            for j, block in enumerate(content):
                check_block(block, f"messages.{i}.content.{j}")
        elif not isinstance(content, str):
            raise _bad(f"messages.{i}.content: a string or a list of content blocks is required")
    temperature = body.get("temperature")
    if temperature is not None and (isinstance(temperature, bool) or not isinstance(temperature, (int, float))
                                    or not 0 <= temperature <= 1):
        raise _bad("temperature: a number from 0 to 1 is expected")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise _bad("stream: a boolean is expected")
    metadata: dict[str, Any] = {"taskId": f"msg_{uuid.uuid4().hex}"}
    tools = body.get("tools")
    if tools is not None:
        metadata["tools"] = openai_tools(tools)
    tool_choice = body.get("tool_choice")
    if tool_choice is not None:
        choice, parallel = openai_tool_choice(tool_choice)
        metadata["tool_choice"] = choice
        if parallel is not None:
            metadata["parallelToolCalls"] = parallel
    return MessagesRequest(
        model, system_prompt(body.get("system")), messages, metadata, max_tokens,
        None if temperature is None else float(temperature), stream,
    )


# the fields each block type needs, as the handlers read them: name -> JSON type
BLOCK_FIELDS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "text": {"text": str},
    "image": {"source": dict},
    "document": {"source": dict},
    "tool_use": {"id": str, "name": str, "input": dict},
    "tool_result": {"tool_use_id": str},
    "thinking": {"thinking": str},
    "redacted_thinking": {"data": str},
}


def check_block(block: Any, where: str) -> None:
    """A content block of a type the handlers convert, with the fields they read; an image
    (or document) inline as base64, as the handlers send it (no URL sources)."""
    if not isinstance(block, dict) or block.get("type") not in BLOCK_FIELDS:
        raise _bad(f"{where}: a content block of type {', '.join(BLOCK_FIELDS)} is expected")
    for name, kind in BLOCK_FIELDS[block["type"]].items():
        if isinstance(block.get(name), bool) or not isinstance(block.get(name), kind):
            raise _bad(f"{where}.{name}: {'a string' if kind is str else 'an object'} is required")
    source = block.get("source")
    if source is not None and not (source.get("type") == "base64" and isinstance(source.get("media_type"), str)
                                   and isinstance(source.get("data"), str)):
        raise _bad(f"{where}.source: a base64 source (type, media_type, data) is required: the handlers send it inline")
    if block["type"] == "tool_result":
        inner = block.get("content")
        if isinstance(inner, list):
            for k, part in enumerate(inner):
                check_block(part, f"{where}.content.{k}")
        elif inner is not None and not isinstance(inner, str):
            raise _bad(f"{where}.content: a string or a list of content blocks is expected")


def system_prompt(system: Any) -> str:
    """``system`` as the reference's system prompt: a string as it is, text blocks joined by a
    blank line (their ``cache_control`` is the deployment's business), absent as ``""``."""
    if system is None:
        return ""
    if isinstance(system, str):
        return system
    if isinstance(system, list) and all(
        isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str) for block in system
    ):
        return "\n\n".join(block["text"] for block in system)
    raise _bad("system: a string or a list of text blocks is expected")


def openai_tools(tools: Any) -> list[dict[str, Any]]:
    """Anthropic tool definitions (``name``, ``description``, ``input_schema``) in OpenAI's
    function format, as the handlers take ``metadata.tools`` (the inverse of the reference's
    ``convertOpenAIToolToAnthropic``)."""
    if not isinstance(tools, list):
        raise _bad("tools: a list is expected")
    converted = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str) or not tool["name"]:
            raise _bad(f"tools.{i}: an object with a name is required")
        schema = tool.get("input_schema")
        if not isinstance(schema, dict):
            raise _bad(f"tools.{i}.input_schema: an object is required")
        function: dict[str, Any] = {"name": tool["name"]}
        description = tool.get("description")
        if description:
            if not isinstance(description, str):
                raise _bad(f"tools.{i}.description: a string is expected")
            function["description"] = description
        function["parameters"] = schema
        converted.append({"type": "function", "function": function})
    return converted


def openai_tool_choice(choice: Any) -> tuple[Any, bool | None]:
    """Anthropic's ``tool_choice`` as OpenAI's, and ``parallelToolCalls`` (False when
    ``disable_parallel_tool_use``, else None: not set)."""
    if not isinstance(choice, dict) or choice.get("type") not in ("auto", "any", "tool", "none"):
        raise _bad("tool_choice: an object with type auto, any, tool or none is expected")
    kind = choice["type"]
    if kind == "tool":
        if not isinstance(choice.get("name"), str) or not choice["name"]:
            raise _bad("tool_choice.name: a tool name is required for type tool")
        converted: Any = {"type": "function", "function": {"name": choice["name"]}}
    else:
        converted = {"auto": "auto", "any": "required", "none": "none"}[kind]
    return converted, (False if choice.get("disable_parallel_tool_use") is True else None)


# -- the reply -----------------------------------------------------------------------------


def _tokens(value: Any) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


class AnthropicEncoder:
    """The handler's chunks as Anthropic stream events (dicts), in order.

    ``start()`` is ``message_start``; ``feed(chunk)`` the events a chunk opens, extends or
    closes; ``finish()`` closes the open block and gives ``message_delta`` and
    ``message_stop``. Usage chunks are summed (the reference's accounting): what came before the
    first content is in ``message_start``, the totals in ``message_delta``."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.id = f"msg_{uuid.uuid4().hex[:24]}"
        self.input_tokens = 0
        self.output_tokens = 0
        self.cache_write_tokens = 0
        self.cache_read_tokens = 0
        self.blocks = 0  # content blocks started
        self.open: str | None = None  # "text", "thinking" or "tool_use"
        self.open_tool: Any = None  # the open tool_use block's index (tool_call_partial) or id
        self.tool_names: dict[Any, tuple[Any, str]] = {}  # partial index -> (id, name)
        self.used_tools = False

    def usage(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_creation_input_tokens": self.cache_write_tokens,
            "cache_read_input_tokens": self.cache_read_tokens,
        }

    def start(self) -> dict[str, Any]:
        return {
            "type": "message_start",
            "message": {
                "id": self.id, "type": "message", "role": "assistant", "model": self.model, "content": [],
                "stop_reason": None, "stop_sequence": None, "usage": self.usage(),
            },
        }

    def add_usage(self, chunk: Mapping[str, Any]) -> None:
        self.input_tokens += _tokens(chunk.get("inputTokens"))
        self.output_tokens += _tokens(chunk.get("outputTokens"))
        self.cache_write_tokens += _tokens(chunk.get("cacheWriteTokens"))
        self.cache_read_tokens += _tokens(chunk.get("cacheReadTokens"))

    def _close(self, events: list[dict[str, Any]]) -> None:
        if self.open is not None:
            events.append({"type": "content_block_stop", "index": self.blocks - 1})
            self.open = None
            self.open_tool = None

    def _begin(self, events: list[dict[str, Any]], kind: str, block: dict[str, Any]) -> None:
        self._close(events)
        events.append({"type": "content_block_start", "index": self.blocks, "content_block": block})
        self.blocks += 1
        self.open = kind

    def _delta(self, events: list[dict[str, Any]], delta: dict[str, Any]) -> None:
        events.append({"type": "content_block_delta", "index": self.blocks - 1, "delta": delta})

    def _tool(self, events: list[dict[str, Any]], key: Any, call_id: Any, name: str) -> None:
        self._begin(events, "tool_use", {"type": "tool_use", "id": str(call_id or f"toolu_{uuid.uuid4().hex[:24]}"),
                                         "name": name, "input": {}})
        self.open_tool = key
        self.used_tools = True

    def feed(self, chunk: Mapping[str, Any]) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        kind = chunk.get("type")
        if kind == "usage":
            self.add_usage(chunk)
        elif kind == "text":
            text = chunk.get("text")
            if isinstance(text, str) and text:
                if self.open != "text":
                    self._begin(events, "text", {"type": "text", "text": ""})
                self._delta(events, {"type": "text_delta", "text": text})
        elif kind in ("reasoning", "thinking_complete"):
            text = chunk.get("text") if kind == "reasoning" else None
            signature = chunk.get("signature")
            if (isinstance(text, str) and text) or isinstance(signature, str):
                if self.open != "thinking":
                    self._begin(events, "thinking", {"type": "thinking", "thinking": "", "signature": ""})
                if isinstance(text, str) and text:
                    self._delta(events, {"type": "thinking_delta", "thinking": text})
                if isinstance(signature, str):
                    self._delta(events, {"type": "signature_delta", "signature": signature})
        elif kind == "tool_call_partial":
            self._partial(events, chunk)
        elif kind == "tool_call":
            self._tool(events, chunk.get("id"), chunk.get("id"), str(chunk.get("name") or ""))
            self._arguments(events, chunk.get("arguments"))
            self._close(events)
        elif kind == "tool_call_start":
            self._tool(events, chunk.get("id"), chunk.get("id"), str(chunk.get("name") or ""))
        elif kind == "tool_call_delta":
            if self.open == "tool_use" and self.open_tool == chunk.get("id"):
                self._arguments(events, chunk.get("delta"))
        elif kind == "tool_call_end":
            if self.open == "tool_use" and self.open_tool == chunk.get("id"):
                self._close(events)
        # grounding chunks have no place in a Messages reply
        return events

    def _partial(self, events: list[dict[str, Any]], chunk: Mapping[str, Any]) -> None:
        """A tool call fragment: the block starts once the call's name is known (fragments of an
        unnamed call are the Responses API's, whose whole ``tool_call`` follows: dropped)."""
        index = chunk.get("index")
        name = chunk.get("name")
        if isinstance(name, str) and name and index not in self.tool_names:
            self.tool_names[index] = (chunk.get("id"), name)
        if index not in self.tool_names:
            return
        if self.open != "tool_use" or self.open_tool != index:
            call_id, known_name = self.tool_names[index]
            self._tool(events, index, call_id, known_name)
        self._arguments(events, chunk.get("arguments"))

    def _arguments(self, events: list[dict[str, Any]], arguments: Any) -> None:
        if isinstance(arguments, str) and arguments:
            self._delta(events, {"type": "input_json_delta", "partial_json": arguments})

    def finish(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        self._close(events)
        events.append({
            "type": "message_delta",
            "delta": {"stop_reason": STOP_TOOL_USE if self.used_tools else STOP_END_TURN, "stop_sequence": None},
            "usage": self.usage(),
        })
        events.append({"type": "message_stop"})
        return events


def fold(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``message`` object a non-streaming request answers: the events accumulated, each
    tool's input parsed from its JSON (arguments that are not a JSON object: a 502)."""
    message: dict[str, Any] = dict(events[0]["message"])
    content: list[dict[str, Any]] = []
    arguments: dict[int, str] = {}
    for event in events[1:]:
        kind = event["type"]
        if kind == "content_block_start":
            content.append(dict(event["content_block"]))
        elif kind == "content_block_delta":
            block, delta = content[event["index"]], event["delta"]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            elif delta["type"] == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif delta["type"] == "signature_delta":
                block["signature"] = delta["signature"]
            else:
                arguments[event["index"]] = arguments.get(event["index"], "") + delta["partial_json"]
        elif kind == "message_delta":
            message.update(event["delta"])
            message["usage"] = event["usage"]
    for index, text in arguments.items():
        try:
            content[index]["input"] = json.loads(text)
        except ValueError:
            content[index]["input"] = None
        if not isinstance(content[index]["input"], dict):
            raise HttpProblem(502, f"the upstream's arguments of tool {content[index]['name']!r} are not a JSON object", "api_error")
    message["content"] = content
    return message
