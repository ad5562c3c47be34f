"""``jsonjs.dumps`` writes keys in JS property order, as ``JSON.stringify`` does for any object.

Array-index keys (canonical ``"0"`` … ``"4294967294"``) come first, ascending; every other key
follows in insertion order. The expected texts were recorded from Node 20 (``JSON.stringify``).
"""

from __future__ import annotations

import json
from typing import Any

from loopback import SYSTEM, Reply, Upstream, collect

from providers import build_api_handler
from providers.js.jsonjs import dumps, loads

MIXED = {"b": 1, "10": 2, "a": 3, "2": 4, "01": 5, "-1": 6, "4294967294": 7, "4294967295": 8, "1.5": 9, "0": 10}
# Node 20: JSON.stringify(MIXED)
MIXED_RECORDED = '{"0":10,"2":4,"10":2,"4294967294":7,"b":1,"a":3,"01":5,"-1":6,"4294967295":8,"1.5":9}'


def test_index_keys_first_ascending_then_insertion_order() -> None:
    assert dumps(MIXED) == MIXED_RECORDED


def test_nested_objects_and_indented_layout() -> None:
    """Node 20: ``JSON.stringify({type, arguments: JSON.stringify(args), nested})`` where args was
    built path, "1", content."""
    args = {"path": "x", "1": "one", "content": "y"}
    value = {"type": "function", "arguments": dumps(args), "nested": {"z": 1, "3": [{"b": 1, "0": 2}]}}
    assert dumps(value) == (
        '{"type":"function","arguments":"{\\"1\\":\\"one\\",\\"path\\":\\"x\\",\\"content\\":\\"y\\"}",'
        '"nested":{"3":[{"0":2,"b":1}],"z":1}}'
    )
    assert dumps(MIXED, 2) == json.dumps(json.loads(MIXED_RECORDED), indent=2)


def test_int_keys_count_as_index_keys() -> None:
    assert dumps({"a": 1, 7: 2}) == '{"7":2,"a":1}'


def test_dumps_of_loads_is_stable() -> None:
    """JSON.parse already orders index keys; writing the result again keeps the text."""
    assert dumps(loads(MIXED_RECORDED)) == MIXED_RECORDED


async def test_tool_schema_property_names_in_a_request_body(upstream: Upstream) -> None:
    """openai-node sends ``JSON.stringify(body)``: a tool schema whose property names are
    integer-like lists them first, whatever order the caller's dict had."""
    upstream.route("/chat/completions", Reply(200, {"content-type": "text/event-stream"}, [b"data: [DONE]\n\n"]))
    tool: dict[str, Any] = {
        "type": "function",
        "function": {
            "name": "pick",
            "description": "Pick one.",
            "parameters": {"type": "object", "properties": {"b": {"type": "string"}, "2": {"type": "string"}}, "required": ["b", "2"]},
        },
    }
    handler = build_api_handler(
        {"apiProvider": "openai", "openAiBaseUrl": f"{upstream.base_url}/v1", "openAiApiKey": "sk-test-order", "openAiModelId": "gpt-4o"}
    )
    await collect(handler.create_message(SYSTEM, [{"role": "user", "content": "Hi"}], {"taskId": "t", "tools": [tool]}))
    (seen,) = upstream.seen
    assert '"properties":{"2":{"type":"string"},"b":{"type":"string"}}' in seen.body.decode()
