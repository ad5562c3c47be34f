"""``BaseProvider`` (base-provider.ts) and ``utils/mcp_name.py`` (mcp-name.ts).

Cases follow the reference's own specs (``src/api/providers/__tests__/base-provider.spec.ts``,
``src/utils/__tests__/mcp-name.spec.ts``). ``KEY_ORDER_*`` was produced by running the
reference's ``convertToolsForOpenAI`` / ``convertToolSchemaForOpenAI`` bodies under Node 20 on
``KEY_ORDER_INPUT`` and printing ``JSON.stringify({out, tools})`` (``tools`` shows what the
reference rewrites in the caller's input).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from providers.base_provider import BaseProvider
from providers.js.errors import JSTypeError
from providers.js.jsonjs import dumps
from providers.utils import mcp_name


class _Provider(BaseProvider):
    def create_message(self, system_prompt: str, messages: list[dict[str, Any]], metadata: Any = None) -> Any:
        raise NotImplementedError

    def get_model(self) -> dict[str, Any]:
        return {"id": "test-model", "info": {"maxTokens": 4096, "contextWindow": 128000, "supportsPromptCache": False}}


@pytest.fixture
def provider() -> _Provider:
    return _Provider()


def test_base_provider_is_abstract() -> None:
    with pytest.raises(TypeError):
        BaseProvider()  # type: ignore[abstract]


# --- convertToolSchemaForOpenAI ---------------------------------------------------------------


def test_object_schema_gets_additional_properties_false_and_all_required(provider: _Provider) -> None:
    result = provider.convert_tool_schema_for_openai(
        {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "number"}}}
    )
    assert result == {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "number"}},
        "additionalProperties": False,
        "required": ["name", "age"],
    }


def test_nested_objects_and_array_items_are_converted(provider: _Provider) -> None:
    schema = {
        "type": "object",
        "properties": {
            "level1": {"type": "object", "properties": {"level2": {"type": "object", "properties": {"v": {"type": "string"}}}}},
            "users": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
        },
    }
    result = provider.convert_tool_schema_for_openai(schema)
    assert result["properties"]["level1"]["additionalProperties"] is False
    assert result["properties"]["level1"]["properties"]["level2"]["additionalProperties"] is False
    assert result["properties"]["level1"]["properties"]["level2"]["required"] == ["v"]
    assert result["properties"]["users"]["items"]["additionalProperties"] is False
    assert result["properties"]["users"]["items"]["required"] == ["name"]


def test_nullable_type_becomes_non_nullable(provider: _Provider) -> None:
    result = provider.convert_tool_schema_for_openai({"type": "object", "properties": {"name": {"type": ["string", "null"]}}})
    assert result["properties"]["name"]["type"] == "string"


@pytest.mark.parametrize("schema", [{"type": "string"}, None, [{"type": "object"}], "object", 0])
def test_non_object_schemas_pass_unchanged(provider: _Provider, schema: Any) -> None:
    assert provider.convert_tool_schema_for_openai(schema) == schema


def test_empty_properties_object_gives_empty_required(provider: _Provider) -> None:
    result = provider.convert_tool_schema_for_openai({"type": "object", "properties": {}})
    assert result == {"type": "object", "properties": {}, "additionalProperties": False, "required": []}


def test_object_without_properties_keeps_its_required(provider: _Provider) -> None:
    result = provider.convert_tool_schema_for_openai({"type": "object", "required": ["x"], "additionalProperties": True})
    assert dumps(result) == '{"type":"object","required":["x"],"additionalProperties":false}'


# --- convertToolsForOpenAI --------------------------------------------------------------------


def test_undefined_tools_give_undefined(provider: _Provider) -> None:
    assert provider.convert_tools_for_openai(None) is None
    assert provider.convert_tools_for_openai([]) == []


def test_strict_true_and_converted_schema_for_ordinary_tools(provider: _Provider) -> None:
    tools = [{"type": "function", "function": {"name": "read_file", "description": "Read a file", "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}}}]
    [result] = provider.convert_tools_for_openai(tools) or []
    assert result["function"]["strict"] is True
    assert result["function"]["parameters"]["additionalProperties"] is False
    assert result["function"]["parameters"]["required"] == ["path"]


@pytest.mark.parametrize("name", ["mcp--github--get_me", "mcp__github__get_me"])
def test_mcp_tools_get_strict_false_and_keep_their_schema(provider: _Provider, name: str) -> None:
    parameters = {"type": "object", "properties": {"token": {"type": "string"}}, "required": ["token"]}
    tools = [{"type": "function", "function": {"name": name, "description": "Get current user", "parameters": parameters}}]
    [result] = provider.convert_tools_for_openai(tools) or []
    assert result["function"]["strict"] is False
    assert result["function"]["parameters"] is parameters
    assert "additionalProperties" not in result["function"]["parameters"]


def test_non_function_tools_pass_unchanged(provider: _Provider) -> None:
    tool = {"type": "other_type", "data": "some data"}
    assert provider.convert_tools_for_openai([tool]) == [tool]


@pytest.mark.parametrize(
    ("tool", "message"),
    [  # what the reference throws under Node 20 for each malformed tool
        ({"type": "function"}, "Cannot read properties of undefined (reading 'name')"),
        ({"type": "function", "function": None}, "Cannot read properties of null (reading 'name')"),
        ({"type": "function", "function": "x"}, "Cannot read properties of undefined (reading 'replace')"),
        ({"type": "function", "function": {}}, "Cannot read properties of undefined (reading 'replace')"),
        ({"type": "function", "function": {"name": None}}, "Cannot read properties of null (reading 'replace')"),
        ({"type": "function", "function": {"name": 5}}, "name.replace is not a function"),
        (None, "Cannot read properties of null (reading 'type')"),
    ],
)
def test_malformed_function_tools_raise_the_js_type_error(provider: _Provider, tool: Any, message: str) -> None:
    with pytest.raises(JSTypeError) as caught:
        provider.convert_tools_for_openai([tool])
    assert caught.value.message == message


KEY_ORDER_INPUT = {
    "tools": [
        {
            "function": {
                "parameters": {
                    "properties": {
                        "b": {"type": ["null", "string", "integer"]},
                        "a": {"items": {"type": "object", "properties": {"z": {"type": ["number", "null"]}}}, "type": "array"},
                        "c": {"type": "object", "required": ["x"], "additionalProperties": True},
                    },
                    "required": ["a"],
                    "type": "object",
                    "additionalProperties": False,
                },
                "name": "read_file",
            },
            "type": "function",
        },
        {"type": "function", "function": {"name": "mcp__gh__me", "parameters": {"type": "object", "properties": {"t": {"type": ["string", "null"]}}}}},
        {"type": "function", "function": {"name": "nop"}},
        {"type": "web_search"},
    ]
}
KEY_ORDER_OUTPUT = (
    '{"out":[{"function":{"parameters":{"properties":{"b":{"type":["string","integer"]},"a":{"items":{"type":"object",'
    '"properties":{"z":{"type":"number"}},"additionalProperties":false,"required":["z"]},"type":"array"},"c":{"type":'
    '"object","required":["x"],"additionalProperties":false}},"required":["b","a","c"],"type":"object",'
    '"additionalProperties":false},"name":"read_file","strict":true},"type":"function"},{"type":"function","function":'
    '{"name":"mcp__gh__me","parameters":{"type":"object","properties":{"t":{"type":["string","null"]}}},"strict":false}},'
    '{"type":"function","function":{"name":"nop","strict":true}},{"type":"web_search"}],'
    '"tools":[{"function":{"parameters":{"properties":{"b":{"type":["string","integer"]},"a":{"items":{"type":"object",'
    '"properties":{"z":{"type":"number"}}},"type":"array"},"c":{"type":"object","required":["x"],'
    '"additionalProperties":true}},"required":["a"],"type":"object","additionalProperties":false},"name":"read_file"},'
    '"type":"function"},{"type":"function","function":{"name":"mcp__gh__me","parameters":{"type":"object","properties":'
    '{"t":{"type":["string","null"]}}}}},{"type":"function","function":{"name":"nop"}},{"type":"web_search"}]}'
)


def test_key_order_and_input_rewrites_match_node(provider: _Provider) -> None:
    tools = copy.deepcopy(KEY_ORDER_INPUT["tools"])
    out = provider.convert_tools_for_openai(tools)
    assert dumps({"out": out, "tools": tools}) == KEY_ORDER_OUTPUT
    assert json.loads(KEY_ORDER_OUTPUT)["out"] == out


# --- countTokens ------------------------------------------------------------------------------


async def test_count_tokens_of_nothing_is_zero(provider: _Provider) -> None:
    assert await provider.count_tokens([]) == 0


async def test_count_tokens_uses_tiktoken_with_the_fudge_factor(provider: _Provider) -> None:
    # tiktoken.spec.ts: "Hello world" is 2 o200k tokens, ceil(2 * 1.5) == 3
    assert await provider.count_tokens([{"type": "text", "text": "Hello world"}]) == 3


# --- mcp-name.ts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("mcp--server--tool", True),
        ("mcp--server--get-user-profile", True),
        ("mcp__my_server__get_forecast", True),
        ("server--tool", False),
        ("read_file", False),
        ("", False),
        ("mcp_server_tool", False),
        ("mcp-server", False),
        ("mcp", False),
    ],
)
def test_is_mcp_tool(name: str, expected: bool) -> None:
    assert mcp_name.is_mcp_tool(name) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("", "_"),
        ("my server", "my_server"),
        ("test#$%^&*()", "test"),
        ("awslabs.aws-documentation-mcp-server", "awslabsaws-documentation-mcp-server"),
        ("123server", "_123server"),
        ("-server", "_-server"),
        (".server", "server"),
        ("test---server", "test-server"),
        ("My Server @ Home!", "My_Server__Home"),
        ("@#$%", "_unnamed"),
        ("   ", "_"),
        ("a\ufeffb\u3000c", "a_b_c"),  # JavaScript's \s, not Python's
    ],
)
def test_sanitize_mcp_name(name: str, expected: str) -> None:
    assert mcp_name.sanitize_mcp_name(name) == expected


def test_build_mcp_tool_name() -> None:
    assert mcp_name.build_mcp_tool_name("my server", "my tool") == "mcp--my_server--my_tool"
    assert mcp_name.build_mcp_tool_name("123server", "456tool") == "mcp--_123server--_456tool"
    long = mcp_name.build_mcp_tool_name("s" * 40, "t" * 40)
    assert len(long) == 64 and long.startswith("mcp--" + "s" * 40 + "--")


def test_parse_and_normalize_mcp_tool_names() -> None:
    assert mcp_name.parse_mcp_tool_name("mcp__server__tool") == {"serverName": "server", "toolName": "tool"}
    assert mcp_name.parse_mcp_tool_name("mcp--onellm--atlassian-jira_search") == {"serverName": "onellm", "toolName": "atlassian-jira_search"}
    assert mcp_name.parse_mcp_tool_name("mcp--server") is None
    assert mcp_name.parse_mcp_tool_name("mcp_server_tool") is None
    assert mcp_name.normalize_mcp_tool_name("mcp__server__tool") == "mcp--server--tool"
    assert mcp_name.normalize_mcp_tool_name("some__tool") == "some__tool"
    assert mcp_name.tool_names_match("mcp--server--get-user-profile", "mcp__server__get_user_profile")
