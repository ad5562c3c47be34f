"""Function calling for the LLM manager (ours): the tool registry, the assembly of the handlers'
tool-call chunks into whole calls, their execution, and the messages that carry them back.

Tools are offered to a handler in the OpenAI function format (``metadata["tools"]``, what every
port handler converts to its wire's: ``tools`` for OpenAI, ``tools`` with ``input_schema`` for
Anthropic, ``functionDeclarations`` for Gemini, ``toolConfig`` for Bedrock). A handler's stream
announces calls in its own way (``providers/transform/stream.py``): ``tool_call_partial``
fragments keyed by ``index`` (OpenAI, OpenRouter, Anthropic, Gemini, Bedrock), a whole
``tool_call`` (OpenAI without streaming, the Responses API), or ``tool_call_start`` /
``tool_call_delta`` / ``tool_call_end`` keyed by id; :class:`CallAssembler` reads all of them.
The calls and their results go back in the reference's message format (Anthropic's content
blocks, which every handler converts): an assistant message with ``tool_use`` blocks, then a
user message with one ``tool_result`` block per call (``is_error`` when the tool raised or timed
out, the error's text as its content).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Tool", "ToolRegistry", "FunctionCall", "CallAssembler", "execute_calls",
           "assistant_message", "tool_result_message"]


@dataclass(frozen=True)
class Tool:
    """A registered function: ``fn`` takes the model's arguments as keyword arguments."""

    name: str
    fn: Callable[..., Any]
    parameters: Mapping[str, Any]
    description: str = ""

    def openai_format(self) -> dict[str, Any]:
        """The tool as ``metadata["tools"]`` takes it (OpenAI's function format)."""
        function: dict[str, Any] = {"name": self.name, "parameters": dict(self.parameters)}
        if self.description:
            function["description"] = self.description
        return {"type": "function", "function": function}


class ToolRegistry:
    """Tools by name, in registration order."""

    def __init__(self) -> None:
        self._tools: dict[str, Tool] = {}

    def register(
        self, name: str, fn: Callable[..., Any], parameters_schema: Mapping[str, Any] | None = None,
        description: str = "",
    ) -> Tool:
        if not callable(fn):
            raise TypeError(f"tool {name!r}: {fn!r} is not callable")
        tool = Tool(name, fn, parameters_schema or {"type": "object", "properties": {}}, description)
        self._tools[name] = tool
        return tool

    def tool(
        self, name: str | None = None, *, description: str | None = None,
        parameters: Mapping[str, Any] | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator form of ``register``: the name defaults to the function's, the description
        to its docstring, the schema to one built from its signature (``parameters_schema``)."""

        def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.register(
                name or fn.__name__, fn, parameters or parameters_schema(fn),
                (inspect.getdoc(fn) or "") if description is None else description,
            )
            return fn

        return decorate

    def unregister(self, name: str) -> None:
        del self._tools[name]

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    def names(self) -> list[str]:
        return list(self._tools)

    def specs(self, names: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """The tools (all, or those named) in OpenAI's function format."""
        chosen = self._tools.values() if names is None else [self._tools[n] for n in names]
        return [tool.openai_format() for tool in chosen]


_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean", list: "array", dict: "object"}


def parameters_schema(fn: Callable[..., Any]) -> dict[str, Any]:
    """A JSON schema of ``fn``'s keyword parameters from its annotations (``str``, ``int``,
    ``float``, ``bool``, ``list``, ``dict``; anything else unconstrained); those without a
    default are required."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    hints: dict[str, Any] = {}
    try:
        hints = {k: v for k, v in inspect.get_annotations(fn, eval_str=True).items() if k != "return"}
    except Exception:  # an annotation that does not evaluate: leave the parameter unconstrained
        pass
    for param in inspect.signature(fn).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        kind = _JSON_TYPES.get(hints.get(param.name))  # type: ignore[arg-type]
        properties[param.name] = {"type": kind} if kind else {}
        if param.default is param.empty:
            required.append(param.name)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


# --- the handlers' tool-call chunks, assembled ------------------------------------------------


@dataclass
class _Pending:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class CallAssembler:
    """One model response's tool calls from its stream's tool-call chunks, in the order the
    calls began. ``feed`` every chunk whose type starts with ``tool_call``."""

    def __init__(self) -> None:
        self._by_index: dict[Any, _Pending] = {}
        self._by_id: dict[str, _Pending] = {}
        self._order: list[_Pending] = []

    def _new(self, call_id: str | None) -> _Pending:
        pending = _Pending(id=call_id or "")
        self._order.append(pending)
        if call_id:
            self._by_id[call_id] = pending
        return pending

    def feed(self, chunk: Mapping[str, Any]) -> None:
        kind = chunk["type"]
        call_id = chunk.get("id")
        if kind == "tool_call_partial":
            index = chunk.get("index")
            pending = self._by_index.get(index)
            if pending is None or (call_id and pending.id and call_id != pending.id):
                pending = self._by_id.get(call_id) if call_id else None
                pending = pending or self._new(call_id)
                self._by_index[index] = pending
            elif call_id and not pending.id:
                pending.id = call_id
                self._by_id[call_id] = pending
            if chunk.get("name"):
                pending.name = chunk["name"]
            if chunk.get("arguments"):
                pending.arguments.append(chunk["arguments"])
        elif kind == "tool_call":
            pending = self._new(call_id)
            pending.name = chunk.get("name") or ""
            if chunk.get("arguments"):
                pending.arguments.append(chunk["arguments"])
        elif kind == "tool_call_start":
            pending = self._by_id.get(call_id or "") or self._new(call_id)
            pending.name = chunk.get("name") or pending.name
        elif kind == "tool_call_delta":
            pending = self._by_id.get(call_id or "") or self._new(call_id)
            if chunk.get("delta"):
                pending.arguments.append(chunk["delta"])
        # tool_call_end: the call is whole already

    def __bool__(self) -> bool:
        return bool(self._order)

    def calls(self) -> list[FunctionCall]:
        """The whole calls (a call without an id gets ``call_<n>``)."""
        return [
            FunctionCall(id=p.id or f"call_{i}", name=p.name, arguments_json="".join(p.arguments))
            for i, p in enumerate(self._order)
        ]


# --- execution --------------------------------------------------------------------------------


@dataclass
class FunctionCall:
    """One call the model asked for, and once executed its result: ``result`` is the text sent
    back (the tool's return value, JSON unless a string, or the error's text), ``is_error`` when
    the tool raised, timed out, was unknown or got unreadable arguments."""

    id: str
    name: str
    arguments_json: str = ""
    result: str | None = None
    is_error: bool = False
    duration_s: float | None = None

    @property
    def arguments(self) -> dict[str, Any]:
        """The arguments as a dict (``{}`` when none were sent or they do not parse)."""
        try:
            value = json.loads(self.arguments_json) if self.arguments_json.strip() else {}
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "arguments": self.arguments, "result": self.result,
                "is_error": self.is_error, "duration_s": self.duration_s}


def _result_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


async def _run(call: FunctionCall, registry: ToolRegistry, timeout_s: float | None) -> None:
    started = time.monotonic()
    tool = registry.get(call.name)
    try:
        if tool is None:
            raise LookupError(f"no tool named {call.name!r}; available: {', '.join(registry.names()) or 'none'}")
        try:
            arguments = json.loads(call.arguments_json) if call.arguments_json.strip() else {}
        except ValueError as exc:
            raise ValueError(f"arguments of {call.name!r} are not JSON: {exc}") from None
        if not isinstance(arguments, dict):
            raise ValueError(f"arguments of {call.name!r} are not a JSON object")
        if inspect.iscoroutinefunction(tool.fn):
            work: Any = tool.fn(**arguments)
        else:  # a sync function runs in a thread (a timeout abandons it, it cannot be stopped)
            work = asyncio.to_thread(functools.partial(tool.fn, **arguments))
        value = await asyncio.wait_for(work, timeout_s) if timeout_s else await work
        if inspect.isawaitable(value):  # a sync function that returned an awaitable
            value = await asyncio.wait_for(value, timeout_s) if timeout_s else await value
        call.result, call.is_error = _result_text(value), False
    except asyncio.TimeoutError:
        call.result, call.is_error = f"Error: tool {call.name!r} timed out after {timeout_s:g} s", True
    except Exception as exc:
        call.result, call.is_error = f"Error: {type(exc).__name__}: {exc}", True
    call.duration_s = time.monotonic() - started


async def execute_calls(
    calls: list[FunctionCall], registry: ToolRegistry, *, parallel: bool, timeout_s: float | None
) -> None:
    """Run ``calls`` (all at once when ``parallel``, else in order), each bounded by
    ``timeout_s``; every call ends with a ``result`` (an error's text with ``is_error``)."""
    if parallel and len(calls) > 1:
        await asyncio.gather(*(_run(call, registry, timeout_s) for call in calls))
    else:
        for call in calls:
            await _run(call, registry, timeout_s)


# --- the reference's message format -----------------------------------------------------------


def assistant_message(text: str, calls: Iterable[FunctionCall]) -> dict[str, Any]:
    """The model's turn: its text (when any), then a ``tool_use`` block per call."""
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    content.extend({"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments} for c in calls)
    return {"role": "assistant", "content": content}


def tool_result_message(calls: Iterable[FunctionCall]) -> dict[str, Any]:
    """The results, one ``tool_result`` block per call (``is_error`` on a failed one)."""
    content: list[dict[str, Any]] = []
    for call in calls:
        block: dict[str, Any] = {"type": "tool_result", "tool_use_id": call.id, "content": call.result or ""}
        if call.is_error:
            block["is_error"] = True
        content.append(block)
    return {"role": "user", "content": content}
