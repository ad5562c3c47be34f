"""The LLM manager's function-calling loop in the OpenAI, Anthropic, Gemini and Bedrock wire
formats, against the tests' loopback upstream (tests/loopback.py) with scripted model replies
(tests/scripted.py): tool calls assembled from each handler's chunks, run (in parallel, each
bounded by its timeout), their results sent back in the wire's own format, a failing tool's error
going back to the model without ending the turn, and the cap on calls per turn.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from loopback import Upstream
from scripted import WIRES, offered_tools, provider_config, text_reply, tool_calls_sent, tool_reply, tool_results
from scripted import clean_env  # noqa: F401  (autouse: no AWS, base URL or ledger variables of the caller)

from gateway.manager import FunctionCallingConfig, LLMConfig, LLMManager
from gateway.manager.tools import CallAssembler, ToolRegistry, parameters_schema

WEATHER_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
TIME_SCHEMA = {"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]}


@pytest.fixture
async def make_manager(upstream: Upstream, tmp_path: Path) -> AsyncIterator[Any]:
    managers: list[LLMManager] = []

    def make(wire: str, **config: Any) -> LLMManager:
        manager = LLMManager(LLMConfig(
            providers={wire: provider_config(wire, upstream.base_url)},
            database_url=f"sqlite:///{tmp_path}/manager.db", **config,
        ))
        managers.append(manager)
        return manager

    yield make
    for manager in managers:
        await manager.aclose()


class Tools:
    """get_weather (async; raises for Atlantis) and get_time (sync, in a thread); each records
    when it ran so that the tests can tell parallel runs from sequential ones."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.runs: list[tuple[str, float, float, str]] = []  # name, start, end, thread

    async def get_weather(self, city: str) -> dict[str, Any]:
        start = time.monotonic()
        await asyncio.sleep(self.delay_s)
        self.runs.append(("get_weather", start, time.monotonic(), threading.current_thread().name))
        if city == "Atlantis":
            raise LookupError(f"no weather station in {city}")
        return {"city": city, "temp_c": 21}

    def get_time(self, tz: str) -> str:
        start = time.monotonic()
        time.sleep(self.delay_s)
        self.runs.append(("get_time", start, time.monotonic(), threading.current_thread().name))
        return f"12:00 {tz}"

    def register(self, manager: LLMManager) -> None:
        manager.register_tool("get_weather", self.get_weather, WEATHER_SCHEMA, description="Weather in a city")
        manager.register_tool("get_time", self.get_time, TIME_SCHEMA, description="Current time in a time zone")


def transcript(wire: str, upstream: Upstream, replies: list[str]) -> str:
    """Each request the model API got (the messages new since the previous request, in the
    wire's format) and the scripted reply."""
    lines = []
    known = 0
    for i, seen in enumerate(upstream.seen):
        body = seen.json()
        history = body["contents"] if wire == "gemini" else body["messages"]
        for message in history[known:]:
            lines.append(f"--> request {i + 1}: {json.dumps(message, ensure_ascii=False)}")
        known = len(history)
        lines.append(f"<-- reply {i + 1}: {replies[i]}")
    return "\n".join(lines)


@pytest.mark.parametrize("wire", WIRES)
async def test_tool_loop_parallel_calls_and_a_failing_tool(upstream: Upstream, make_manager: Any, wire: str) -> None:
    upstream.reply(
        tool_reply(wire, [("call_w1", "get_weather", {"city": "Paris"}), ("call_t1", "get_time", {"tz": "UTC"})],
                   "Let me check."),
        tool_reply(wire, [("call_w2", "get_weather", {"city": "Atlantis"})]),
        text_reply(wire, "Paris is 21 C at 12:00 UTC; Atlantis has no station."),
    )
    manager = make_manager(wire)
    tools = Tools(delay_s=0.15)
    tools.register(manager)
    calls_events: list[Any] = []
    manager.on("function_calls", calls_events.append)

    response = await manager.generate_response("Weather in Paris and Atlantis, and the time?")

    assert response.content == "Paris is 21 C at 12:00 UTC; Atlantis has no station."
    assert response.finish_reason == "stop" and response.model_calls == 3
    assert [(c.name, c.arguments, c.is_error) for c in response.function_calls] == [
        ("get_weather", {"city": "Paris"}, False),
        ("get_time", {"tz": "UTC"}, False),
        ("get_weather", {"city": "Atlantis"}, True),
    ]
    assert response.function_calls[0].result == '{"city": "Paris", "temp_c": 21}'
    assert response.function_calls[2].result == "Error: LookupError: no weather station in Atlantis"
    # the first two ran at once (the sync one in a worker thread)
    (_, s1, e1, _), (_, s2, e2, _) = sorted(tools.runs[:2])
    assert s2 < e1 and s1 < e2
    assert {thread for name, *_, thread in tools.runs if name == "get_time"} != {threading.current_thread().name}
    assert [len(e.data["calls"]) for e in calls_events] == [2, 1]

    seen = upstream.seen
    assert len(seen) == 3
    first, second, third = (s.json() for s in seen)
    assert offered_tools(wire, first) == ["get_weather", "get_time"]
    # what went back, in the wire's own format
    if wire == "gemini":  # functionResponse parts carry the tool's name, no id and no error flag
        assert tool_results(wire, second) == [("get_weather", '{"city": "Paris", "temp_c": 21}', False),
                                              ("get_time", "12:00 UTC", False)]
        assert tool_results(wire, third) == [("get_weather", "Error: LookupError: no weather station in Atlantis", False)]
    else:
        # only Anthropic's wire carries the flag: OpenAI's tool messages have none, and the
        # reference's Converse conversion (bedrock-converse-format.ts) sends status "success"
        error_flag = wire == "anthropic"
        assert tool_results(wire, second) == [("call_w1", '{"city": "Paris", "temp_c": 21}', False),
                                              ("call_t1", "12:00 UTC", False)]
        assert tool_results(wire, third) == [("call_w2", "Error: LookupError: no weather station in Atlantis",
                                              error_flag)]
    assert tool_calls_sent(wire, third) == [("get_weather", {"city": "Paris"}), ("get_time", {"tz": "UTC"}),
                                            ("get_weather", {"city": "Atlantis"})]

    # the conversation holds the whole exchange in the reference's format
    conversation = await manager.conversations.get_conversation(response.conversation_id)
    kinds = [(m["role"], [b["type"] for b in m["content"]] if isinstance(m["content"], list) else "text")
             for m in conversation.messages]
    assert kinds == [
        ("user", "text"),
        ("assistant", ["text", "tool_use", "tool_use"]),
        ("user", ["tool_result", "tool_result"]),
        ("assistant", ["tool_use"]),
        ("user", ["tool_result"]),
        ("assistant", "text"),
    ]
    assert conversation.messages[4]["content"][0]["is_error"] is True
    if wire == "openai":
        print("\n" + transcript(wire, upstream, [
            "tool_calls get_weather(Paris), get_time(UTC) with text 'Let me check.'",
            "tool_calls get_weather(Atlantis)",
            "text 'Paris is 21 C at 12:00 UTC; Atlantis has no station.'",
        ]))


@pytest.mark.parametrize("wire", WIRES)
async def test_the_cap_of_five_calls_ends_the_turn_with_the_last_text(
    upstream: Upstream, make_manager: Any, wire: str
) -> None:
    # 2 calls, then 1, 1, 1 (5 in all), then a sixth asked for: not run, the turn ends
    upstream.reply(
        tool_reply(wire, [("c1", "get_time", {"tz": "UTC"}), ("c2", "get_time", {"tz": "CET"})]),
        *(tool_reply(wire, [(f"c{i}", "get_time", {"tz": f"Z{i}"})], f"Step {i}.") for i in (3, 4, 5)),
        tool_reply(wire, [("c6", "get_time", {"tz": "PST"})], "Still checking."),
        text_reply(wire, "never asked for"),
    )
    manager = make_manager(wire)
    Tools().register(manager)

    response = await manager.generate_response("What time is it everywhere?")

    assert response.finish_reason == "max_function_calls"
    assert response.content == "Still checking."
    assert [c.arguments["tz"] for c in response.function_calls] == ["UTC", "CET", "Z3", "Z4", "Z5"]
    assert response.model_calls == 5 and len(upstream.seen) == 5
    conversation = await manager.conversations.get_conversation(response.conversation_id)
    assert conversation.messages[-1] == {"role": "assistant", "content": "Still checking."}
    # every stored call has its result (the sixth was never stored as a call)
    uses = [b["id"] for m in conversation.messages if isinstance(m["content"], list)
            for b in m["content"] if b["type"] == "tool_use"]
    results = [b["tool_use_id"] for m in conversation.messages if isinstance(m["content"], list)
               for b in m["content"] if b["type"] == "tool_result"]
    assert uses == results and len(uses) == 5 and len(set(uses)) == 5


async def test_a_capped_turn_without_text_still_ends_with_an_assistant_message(
    upstream: Upstream, make_manager: Any
) -> None:
    upstream.reply(tool_reply("bedrock", [("a", "get_time", {"tz": "UTC"})]),
                   tool_reply("bedrock", [("b", "get_time", {"tz": "CET"})]),
                   text_reply("bedrock", "Fine."))
    manager = make_manager("bedrock", function_calling=FunctionCallingConfig(max_function_calls_per_turn=1))
    Tools().register(manager)
    capped = await manager.generate_response("Times?")
    assert (capped.content, capped.finish_reason, len(capped.function_calls)) == ("", "max_function_calls", 1)
    await manager.continue_conversation(capped.conversation_id, "Never mind.")
    roles = [m["role"] for m in upstream.seen[2].json()["messages"]]
    assert roles == ["user", "assistant", "user", "assistant", "user"]
    assert upstream.seen[2].json()["messages"][3]["content"] == [
        {"text": "(This turn ended here: the limit of 1 function calls per turn was reached.)"}]


async def test_a_tool_that_times_out_returns_an_error_and_the_turn_goes_on(upstream: Upstream, make_manager: Any) -> None:
    upstream.reply(tool_reply("anthropic", [("slow1", "slow", {})]), text_reply("anthropic", "It took too long."))
    manager = make_manager("anthropic", function_calling=FunctionCallingConfig(timeout_seconds=0.05))

    async def slow() -> str:
        await asyncio.sleep(5)
        return "late"

    manager.register_tool("slow", slow, {"type": "object", "properties": {}})
    started = time.monotonic()
    response = await manager.generate_response("Run slow.")
    assert time.monotonic() - started < 2
    assert response.content == "It took too long."
    [call] = response.function_calls
    assert call.is_error and call.result == "Error: tool 'slow' timed out after 0.05 s"
    assert tool_results("anthropic", upstream.seen[1].json()) == [("slow1", call.result, True)]


async def test_sequential_execution_runs_one_call_after_the_other(upstream: Upstream, make_manager: Any) -> None:
    upstream.reply(
        tool_reply("openai", [("a", "get_time", {"tz": "UTC"}), ("b", "get_weather", {"city": "Oslo"})]),
        text_reply("openai", "Done."),
    )
    manager = make_manager("openai", function_calling=FunctionCallingConfig(parallel_execution=False))
    tools = Tools(delay_s=0.05)
    tools.register(manager)
    await manager.generate_response("Both, please.")
    (_, s1, e1, _), (_, s2, e2, _) = tools.runs
    assert e1 <= s2


async def test_without_auto_execute_the_calls_are_returned_and_results_come_back_from_the_caller(
    upstream: Upstream, make_manager: Any
) -> None:
    upstream.reply(tool_reply("anthropic", [("t1", "get_time", {"tz": "UTC"})], "Checking."),
                   text_reply("anthropic", "It is noon."))
    manager = make_manager("anthropic", function_calling=FunctionCallingConfig(auto_execute=False))
    tools = Tools()
    tools.register(manager)
    response = await manager.generate_response("Time?")
    assert response.finish_reason == "tool_calls" and tools.runs == []
    [call] = response.function_calls
    assert (call.id, call.name, call.arguments, call.result) == ("t1", "get_time", {"tz": "UTC"}, None)
    result = [{"type": "tool_result", "tool_use_id": "t1", "content": "12:00 UTC"}]
    answer = await manager.continue_conversation(response.conversation_id, result)
    assert answer.content == "It is noon."
    assert tool_results("anthropic", upstream.seen[1].json()) == [("t1", "12:00 UTC", False)]


async def test_streaming_tool_loop_yields_text_then_calls_then_text(upstream: Upstream, make_manager: Any) -> None:
    upstream.reply(tool_reply("bedrock", [("tu1", "get_time", {"tz": "UTC"})], "One moment."),
                   text_reply("bedrock", "It is 12:00 UTC."))
    manager = make_manager("bedrock")
    Tools().register(manager)
    chunks = [chunk async for chunk in manager.generate_response("Time?", stream=True)]
    assert [(c.type, c.delta) for c in chunks if c.type != "function_calls"][:-1] == [
        ("text", "One"), ("text", " moment."), ("text", "It"), ("text", " is"), ("text", " 12:00"), ("text", " UTC."),
    ]
    [calls] = [c.function_calls for c in chunks if c.type == "function_calls"]
    assert calls is not None and [c.result for c in calls] == ["12:00 UTC"]
    final = chunks[-1]
    assert final.type == "done" and final.response is not None
    assert final.response.content == "It is 12:00 UTC." and len(final.response.function_calls) == 1


async def test_decorator_registration_and_tools_offered_per_call(upstream: Upstream, make_manager: Any) -> None:
    upstream.reply(text_reply("openai", "Hi."), text_reply("openai", "Hi again."))
    manager = make_manager("openai")

    @manager.tool(description="Add two numbers")
    def add(a: int, b: int = 0) -> int:
        return a + b

    Tools().register(manager)
    assert manager.tools.specs(["add"]) == [{"type": "function", "function": {
        "name": "add", "description": "Add two numbers",
        "parameters": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                       "required": ["a"]}}}]
    first = await manager.generate_response("Hello", tools=["add"])
    await manager.continue_conversation(first.conversation_id, "Hello again", tools=[])
    assert offered_tools("openai", upstream.seen[0].json()) == ["add"]
    assert "tools" not in upstream.seen[1].json()


def test_call_assembler_reads_every_chunk_form() -> None:
    assembler = CallAssembler()
    for chunk in (
        {"type": "tool_call_partial", "index": 1, "id": "a", "name": "f", "arguments": ""},
        {"type": "tool_call_partial", "index": 1, "arguments": '{"x":'},
        {"type": "tool_call_partial", "index": 2, "id": "b", "name": "g"},
        {"type": "tool_call_partial", "index": 1, "arguments": "1}"},
        {"type": "tool_call_end", "id": "a"},
        {"type": "tool_call", "id": "c", "name": "h", "arguments": "{}"},
        {"type": "tool_call_start", "id": "d", "name": "k"},
        {"type": "tool_call_delta", "id": "d", "delta": '{"y":'},
        {"type": "tool_call_delta", "id": "d", "delta": "2}"},
        {"type": "tool_call_end", "id": "d"},
    ):
        assembler.feed(chunk)
    assert [(c.id, c.name, c.arguments) for c in assembler.calls()] == [
        ("a", "f", {"x": 1}), ("b", "g", {}), ("c", "h", {}), ("d", "k", {"y": 2}),
    ]


async def test_unknown_tool_and_unreadable_arguments_are_errors_for_the_model() -> None:
    from gateway.manager.tools import FunctionCall, execute_calls

    registry = ToolRegistry()
    registry.register("echo", lambda text: text, parameters_schema(lambda text: text))
    calls = [FunctionCall("1", "nope", "{}"), FunctionCall("2", "echo", "{not json"), FunctionCall("3", "echo", '{"text":"hi"}')]
    await execute_calls(calls, registry, parallel=True, timeout_s=1.0)
    assert [(c.is_error, c.result) for c in calls] == [
        (True, "Error: LookupError: no tool named 'nope'; available: echo"),
        (True, "Error: ValueError: arguments of 'echo' are not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        (False, "hi"),
    ]
