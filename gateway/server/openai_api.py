"""The OpenAI Chat Completions API on the router (ours): ``POST /v1/chat/completions``,
streaming and not, with tools.

In: OpenAI's request becomes the reference's call (``createMessage(systemPrompt, messages,
metadata)``): system and developer messages the system prompt; user, assistant and tool
messages Anthropic-style messages (``text``, base64 ``image``, ``tool_use`` and ``tool_result``
blocks, as Roo's Task builds them); ``tools``, ``tool_choice`` and ``parallel_tool_calls`` the
metadata's ``tools`` (OpenAI function format, what the handlers take), ``tool_choice`` and
``parallelToolCalls``; ``temperature`` and ``max_tokens``/``max_completion_tokens`` the router's
per-call options (``Router.with_options``).

Out: the handler's chunks as ``chat.completion.chunk`` deltas (``text`` → ``content``,
``reasoning`` → ``reasoning_content``, ``tool_call_partial``/``tool_call`` → ``tool_calls`` with
OpenAI's own indexes 0, 1, … per call), ``finish_reason`` ``tool_calls`` when the reply called a
tool, ``length`` when it used the whole ``max_tokens``, else ``stop``; the usage chunk (the
handler's usage chunks summed) when ``stream_options.include_usage``; ``data: [DONE]``. A stream
that breaks after its first chunk ends with an ``error`` object and no ``[DONE]``. Without
``stream``, one ``chat.completion``.
"""

from __future__ import annotations

import binascii
import json
import time
from dataclasses import dataclass, field as dataclass_field
from typing import Any, AsyncGenerator

from aiohttp import web

from .auth import admit
from .errors import CLIENT_GONE, HttpProblem, field, json_body, openai_shape, request_log, upstream_problem
from .state import STATE, GatewayState, strategy_chunks
from .streaming import SSE_HEADERS, SseResponse, StreamWriter, json_bytes

routes = web.RouteTableDef()

ROLES = ("system", "developer", "user", "assistant", "tool")
TOOL_CHOICES = ("none", "auto", "required")
DONE = b"data: [DONE]\n\n"
MORE = b',"finish_reason":null}]}\n\n'
"""The end of a ``chat.completion.chunk`` event that is not the last."""


# --- the request ---------------------------------------------------------------------------


@dataclass
class ChatRequest:
    """An OpenAI request, converted: what the router is called with, and how to answer."""

    model: str
    system: str
    messages: list[dict[str, Any]]
    metadata: dict[str, Any]
    temperature: float | None = None
    max_tokens: int | None = None
    stream: bool = False
    include_usage: bool = False
    raw_messages: list[dict[str, Any]] = dataclass_field(default_factory=list)


def parse_request(body: dict[str, Any], request_id: str) -> ChatRequest:
    """Check and convert ``body``; a ``HttpProblem`` (400) naming the first thing wrong."""
    model = field(body, "model", str, required=True)
    raw_messages = field(body, "messages", list, required=True)
    if not raw_messages:
        raise HttpProblem(400, "'messages' must contain at least one message", param="messages", code="invalid_value")
    temperature = field(body, "temperature", (int, float))
    if temperature is not None and not 0 <= temperature <= 2:
        raise HttpProblem(400, f"'temperature' must be between 0 and 2, got {temperature}", param="temperature", code="invalid_value")
    max_tokens = None
    for name in ("max_completion_tokens", "max_tokens"):
        value = field(body, name, int)
        if value is not None and value < 1:
            raise HttpProblem(400, f"{name!r} must be at least 1, got {value}", param=name, code="invalid_value")
        max_tokens = value if max_tokens is None else max_tokens
    n = field(body, "n", int)
    if n is not None and n != 1:
        raise HttpProblem(400, "only n=1 is supported", param="n", code="invalid_value")
    stream = bool(field(body, "stream", bool))
    stream_options = field(body, "stream_options", dict) or {}
    include_usage = field(stream_options, "include_usage", bool) if stream_options else None
    system_parts: list[str] = []
    messages: list[dict[str, Any]] = []
    tool_results: dict[str, Any] | None = None  # the user message the last tool messages went to
    for index, message in enumerate(raw_messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise HttpProblem(400, f"{where} must be an object", param=where, code="invalid_type")
        role = message.get("role")
        if role not in ROLES:
            raise HttpProblem(400, f"{where}.role must be one of {', '.join(ROLES)}, got {role!r}", param=f"{where}.role", code="invalid_value")
        content = message.get("content")
        if role in ("system", "developer"):
            system_parts.append(_text_only(content, where))
            continue
        if role == "tool":
            call_id = message.get("tool_call_id")
            if not isinstance(call_id, str) or not call_id:
                raise HttpProblem(400, f"{where}.tool_call_id must be a non-empty string", param=f"{where}.tool_call_id", code="missing_field")
            block = {"type": "tool_result", "tool_use_id": call_id, "content": _content(content, where, "tool")}
            if tool_results is None:
                tool_results = {"role": "user", "content": []}
                messages.append(tool_results)
            tool_results["content"].append(block)
            continue
        if role == "user":
            converted = _content(content, where, "user")
            if tool_results is not None:  # text after tool results joins their message, as Roo sends it
                tool_results["content"].extend([{"type": "text", "text": converted}] if isinstance(converted, str) else converted)
            else:
                messages.append({"role": "user", "content": converted})
            tool_results = None
            continue
        tool_results = None
        messages.append({"role": "assistant", "content": _assistant_content(message, where)})
    metadata: dict[str, Any] = {"taskId": request_id}
    tools = field(body, "tools", list)
    if tools is not None:
        metadata["tools"] = [_tool(tool, f"tools[{i}]") for i, tool in enumerate(tools)]
    if body.get("tool_choice") is not None:
        metadata["tool_choice"] = _tool_choice(body["tool_choice"])
    parallel = field(body, "parallel_tool_calls", bool)
    if parallel is not None:
        metadata["parallelToolCalls"] = parallel
    return ChatRequest(
        model, "\n\n".join(system_parts), messages, metadata, temperature, max_tokens,
        stream, bool(include_usage), raw_messages,
    )


def _text_only(content: Any, where: str) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(_part(part, f"{where}.content[{i}]", ("text",))["text"] for i, part in enumerate(content))
    raise HttpProblem(400, f"{where}.content must be a string or an array of text parts", param=f"{where}.content", code="invalid_type")


def _content(content: Any, where: str, role: str) -> Any:
    """A user or tool message's content: a string stays one; parts become blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        allowed = ("text", "image_url") if role == "user" else ("text",)
        return [_part(part, f"{where}.content[{i}]", allowed) for i, part in enumerate(content)]
    raise HttpProblem(400, f"{where}.content must be a string or an array of content parts", param=f"{where}.content", code="invalid_type")


def _part(part: Any, where: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(part, dict):
        raise HttpProblem(400, f"{where} must be an object", param=where, code="invalid_type")
    kind = part.get("type")
    if kind not in allowed:
        raise HttpProblem(400, f"{where}.type must be one of {', '.join(allowed)}, got {kind!r}", param=f"{where}.type", code="invalid_value")
    if kind == "text":
        text = part.get("text")
        if not isinstance(text, str):
            raise HttpProblem(400, f"{where}.text must be a string", param=f"{where}.text", code="invalid_type")
        return {"type": "text", "text": text}
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else None
    if not isinstance(url, str):
        raise HttpProblem(400, f"{where}.image_url.url must be a string", param=f"{where}.image_url", code="invalid_type")
    header, comma, data = url.partition(",")
    if not (url.startswith("data:") and header.endswith(";base64") and comma):
        raise HttpProblem(
            400, f"{where}.image_url.url must be a base64 data URL (data:image/png;base64,…): the handlers send images inline",
            param=f"{where}.image_url", code="invalid_value",
        )
    try:
        binascii.a2b_base64(data)
    except binascii.Error:
        raise HttpProblem(400, f"{where}.image_url.url has invalid base64 data", param=f"{where}.image_url", code="invalid_value") from None
    return {"type": "image", "source": {"type": "base64", "media_type": header[len("data:"):-len(";base64")], "data": data}}


def _assistant_content(message: dict[str, Any], where: str) -> Any:
    content = message.get("content")
    tool_calls = message.get("tool_calls")
    if content is not None and not isinstance(content, (str, list)):
        raise HttpProblem(400, f"{where}.content must be a string, an array or null", param=f"{where}.content", code="invalid_type")
    if tool_calls is None:
        if isinstance(content, list):
            return [_part(part, f"{where}.content[{i}]", ("text",)) for i, part in enumerate(content)]
        return content or ""
    if not isinstance(tool_calls, list):
        raise HttpProblem(400, f"{where}.tool_calls must be an array", param=f"{where}.tool_calls", code="invalid_type")
    blocks: list[dict[str, Any]] = []
    if isinstance(content, str) and content:
        blocks.append({"type": "text", "text": content})
    elif isinstance(content, list):
        blocks.extend(_part(part, f"{where}.content[{i}]", ("text",)) for i, part in enumerate(content))
    for i, call in enumerate(tool_calls):
        at = f"{where}.tool_calls[{i}]"
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(call.get("id"), str) or not isinstance(function.get("name"), str):
            raise HttpProblem(400, f"{at} must have an id and a function with a name", param=at, code="invalid_value")
        arguments = function.get("arguments") or "{}"
        try:
            tool_input = json.loads(arguments) if isinstance(arguments, str) else None
        except json.JSONDecodeError:
            tool_input = None
        if not isinstance(tool_input, dict):
            raise HttpProblem(400, f"{at}.function.arguments must be a JSON object in a string", param=f"{at}.function.arguments", code="invalid_value")
        blocks.append({"type": "tool_use", "id": call["id"], "name": function["name"], "input": tool_input})
    return blocks


def _tool(tool: Any, where: str) -> dict[str, Any]:
    function = tool.get("function") if isinstance(tool, dict) else None
    if not isinstance(tool, dict) or tool.get("type") != "function" or not isinstance(function, dict):
        raise HttpProblem(400, f"{where} must be {{'type': 'function', 'function': {{...}}}}", param=where, code="invalid_value")
    if not isinstance(function.get("name"), str) or not function["name"]:
        raise HttpProblem(400, f"{where}.function.name must be a non-empty string", param=f"{where}.function.name", code="missing_field")
    if function.get("parameters") is not None and not isinstance(function["parameters"], dict):
        raise HttpProblem(400, f"{where}.function.parameters must be an object", param=f"{where}.function.parameters", code="invalid_type")
    return tool


def _tool_choice(choice: Any) -> Any:
    if choice in TOOL_CHOICES:
        return choice
    function = choice.get("function") if isinstance(choice, dict) else None
    if isinstance(function, dict) and choice.get("type") == "function" and isinstance(function.get("name"), str):
        return choice
    raise HttpProblem(
        400, "'tool_choice' must be none, auto, required or {'type': 'function', 'function': {'name': ...}}",
        param="tool_choice", code="invalid_value",
    )


# --- the reply -------------------------------------------------------------------------------


class Reply:
    """The handler's chunks, turned into OpenAI's deltas while they pass, and what the final
    message and usage need."""

    def __init__(self, max_tokens: int | None, *, whole: bool = True) -> None:
        self.max_tokens = max_tokens
        self.whole = whole  # the message is wanted (not streaming): keep its text and arguments
        self.text: list[str] = []
        self.reasoning: list[str] = []
        self.tool_calls: list[dict[str, Any]] = []  # OpenAI's tool calls, in index order
        self._arguments: list[list[str]] = []  # each call's argument pieces (joined by ``message``)
        self._by_id: dict[str, int] = {}
        self._by_index: dict[Any, int] = {}
        self.input_tokens = self.output_tokens = self.cache_read = self.cache_write = 0
        self.reasoning_tokens: int | None = None

    def delta(self, chunk: dict[str, Any]) -> dict[str, Any] | None:
        """The delta for ``chunk`` (None for a chunk with nothing to send)."""
        kind = chunk.get("type")
        if kind == "text":
            text = chunk.get("text") or ""
            if self.whole:
                self.text.append(text)
            return {"content": text} if text else None
        if kind == "reasoning":
            text = chunk.get("text") or ""
            if self.whole:
                self.reasoning.append(text)
            return {"reasoning_content": text} if text else None
        if kind == "usage":
            self.input_tokens += chunk.get("inputTokens") or 0
            self.output_tokens += chunk.get("outputTokens") or 0
            self.cache_read += chunk.get("cacheReadTokens") or 0
            self.cache_write += chunk.get("cacheWriteTokens") or 0
            if isinstance(chunk.get("reasoningTokens"), int):
                self.reasoning_tokens = (self.reasoning_tokens or 0) + chunk["reasoningTokens"]
            return None
        if kind in ("tool_call_partial", "tool_call"):
            delta = self._tool_call_delta(chunk)
            return None if delta is None else {"tool_calls": [delta]}
        return None  # tool_call_end, grounding: nothing in OpenAI's shape

    def _tool_call_delta(self, chunk: dict[str, Any]) -> dict[str, Any] | None:
        """A call's first delta has its id, ``type`` and name, as OpenAI's do; the next ones
        the arguments. Calls are told apart by id, else by the handler's index (Anthropic's and
        Bedrock's later partials carry the index only). A call starts once its name is known:
        fragments of an unnamed call are the Responses API's, whose whole ``tool_call`` follows
        (None: nothing to send), as on the Messages endpoint."""
        call_id = chunk.get("id") if isinstance(chunk.get("id"), str) and chunk.get("id") else None
        raw_index = chunk.get("index")
        index = self._by_id.get(call_id) if call_id else self._by_index.get(raw_index)
        name = chunk.get("name")
        function: dict[str, Any] = {}
        delta: dict[str, Any] = {}
        if index is None:
            if not (isinstance(name, str) and name):
                return None
            index = len(self.tool_calls)
            self.tool_calls.append({"id": call_id or "", "type": "function", "function": {"name": "", "arguments": ""}})
            self._arguments.append([])
            delta = {"index": index, "id": call_id or "", "type": "function"}
            function["name"] = ""
        else:
            delta = {"index": index}
        if call_id:
            self._by_id[call_id] = index
        if raw_index is not None:
            self._by_index[raw_index] = index
        call = self.tool_calls[index]
        if isinstance(name, str) and name and not call["function"]["name"]:
            call["function"]["name"] = function["name"] = name
        arguments = chunk.get("arguments")
        function["arguments"] = arguments if isinstance(arguments, str) else ""
        if self.whole:
            self._arguments[index].append(function["arguments"])
        delta["function"] = function
        return delta

    def finish_reason(self) -> str:
        if self.tool_calls:
            return "tool_calls"
        if self.max_tokens is not None and self.output_tokens >= self.max_tokens:
            return "length"
        return "stop"

    def usage(self) -> dict[str, Any]:
        usage: dict[str, Any] = {
            "prompt_tokens": self.input_tokens,
            "completion_tokens": self.output_tokens,
            "total_tokens": self.input_tokens + self.output_tokens,
            "prompt_tokens_details": {"cached_tokens": self.cache_read},
        }
        if self.reasoning_tokens is not None:
            usage["completion_tokens_details"] = {"reasoning_tokens": self.reasoning_tokens}
        return usage

    def message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": "".join(self.text) or None}
        if self.reasoning:
            message["reasoning_content"] = "".join(self.reasoning)
        if self.tool_calls:
            for call, pieces in zip(self.tool_calls, self._arguments):
                call["function"]["arguments"] = "".join(pieces)
            message["tool_calls"] = self.tool_calls
        return message


# --- the endpoint ----------------------------------------------------------------------------


@routes.post("/v1/chat/completions")
async def chat_completions(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    key = await admit(request)
    body = await json_body(request)
    log = request_log()
    call = parse_request(body, log.request_id)
    target = state.resolve(call.model, key, body.get("optillm_approach"))
    log.route(target.name)
    completion_id = f"chatcmpl-{log.request_id}"
    if target.strategy is not None:  # an optillm approach, run to its end, answers as a reply
        try:
            result = await state.run_strategy(target, call.raw_messages, max_tokens=call.max_tokens)
        except Exception as error:
            raise upstream_problem(error, state.redact) from None
        chunks = log.chunks(strategy_chunks(result))
    else:
        router = state.with_options(target, call.temperature, call.max_tokens)
        chunks = log.chunks(router.create_message(call.system, call.messages, call.metadata, key_id=key.id if key else None))
    reply = Reply(call.max_tokens, whole=not call.stream)
    try:
        if call.stream:
            return await _stream(request, state, call, chunks, reply, completion_id)
        return await _complete(request, state, call, chunks, reply, completion_id)
    finally:
        await chunks.aclose()  # a client gone, a failure: the upstream request is closed with it
        log.tokens = reply.input_tokens + reply.output_tokens


async def _complete(
    request: web.Request, state: GatewayState, call: ChatRequest, chunks: AsyncGenerator[dict[str, Any], None],
    reply: Reply, completion_id: str,
) -> web.Response:
    try:
        async for chunk in chunks:
            reply.delta(chunk)
    except Exception as error:
        raise upstream_problem(error, state.redact) from None
    return web.json_response({
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": call.model,
        "choices": [{"index": 0, "message": reply.message(), "logprobs": None, "finish_reason": reply.finish_reason()}],
        "usage": reply.usage(),
    })


async def _stream(
    request: web.Request, state: GatewayState, call: ChatRequest, chunks: AsyncGenerator[dict[str, Any], None],
    reply: Reply, completion_id: str,
) -> web.StreamResponse:
    created = int(time.time())
    head = b'{"id":' + json_bytes(completion_id) + b',"object":"chat.completion.chunk","created":' + str(created).encode() + \
        b',"model":' + json_bytes(call.model) + b',"choices":[{"index":0,"delta":'
    try:
        first = await chunks.__anext__()  # an error before the first chunk is an HTTP error
    except StopAsyncIteration:
        first = None
    except Exception as error:
        raise upstream_problem(error, state.redact) from None
    response = SseResponse(headers=SSE_HEADERS)
    await response.prepare(request)
    writer = StreamWriter(response)
    event = b"data: " + head  # each delta's event: this, its JSON, and MORE
    writer.add(event + b'{"role":"assistant","content":""}' + MORE)
    try:
        if first is not None:
            delta = reply.delta(first)
            if delta is not None:
                writer.add(b"".join((event, json_bytes(delta), MORE)))
            async for chunk in writer.chunks(chunks):
                delta = reply.delta(chunk)
                if delta is not None:
                    writer.add(b"".join((event, json_bytes(delta), MORE)))
    except ConnectionError:  # the client went away: nothing to tell it
        request_log().status = CLIENT_GONE
        return response
    except Exception as error:  # StreamInterrupted (the router), or a bug of ours
        problem = upstream_problem(error, state.redact)
        request_log().status = problem.status
        await _end_or_gone(writer, b"data: " + json_bytes(openai_shape(problem)) + b"\n\n")
        return response
    end = head + b'{},"finish_reason":' + json_bytes(reply.finish_reason()) + b"}]}"
    usage = head[: head.index(b'"choices":')] + b'"choices":[],"usage":' + json_bytes(reply.usage()) + b"}"
    await _end_or_gone(writer, b"data: " + end + b"\n\n" + (b"data: " + usage + b"\n\n" if call.include_usage else b"") + DONE)
    return response


async def _end_or_gone(writer: StreamWriter, data: bytes) -> None:
    try:
        await writer.end(data)
    except ConnectionError:
        request_log().status = CLIENT_GONE
