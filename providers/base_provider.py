"""Port of ``src/api/providers/base-provider.ts`` (Roo-Code @ cb83656).

``BaseProvider`` is what every handler extends: the OpenAI strict-mode tool conversion and the
default ``count_tokens`` (tiktoken ``o200k_base``; no provider of the reference overrides it).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from .js.errors import JSTypeError
from .js.jsonjs import js_truthy
from .utils.mcp_name import is_mcp_tool


class BaseProvider(ABC):
    """``BaseProvider``: the common part of the API handlers."""

    @abstractmethod
    def create_message(
        self,
        system_prompt: str,
        messages: list[dict[str, Any]],
        metadata: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[Mapping[str, Any]]:
        """``createMessage``: the response as an ``ApiStream`` (chunks shaped as in ``transform/stream.py``)."""

    @abstractmethod
    def get_model(self) -> dict[str, Any]:
        """``getModel``: ``{"id", "info", ...}``."""

    # base-provider.ts: convertToolsForOpenAI
    def convert_tools_for_openai(self, tools: list[Any] | None) -> list[Any] | None:
        """Function tools get ``strict: true`` and a strict-mode schema; MCP tools (``mcp--``)
        get ``strict: false`` and keep their schema (its optional parameters); other tools pass.

        The results are new dicts; like the reference, nested schema nodes may be shared with
        (and nullable ``type`` lists rewritten in) the input.
        """
        if tools is None or not js_truthy(tools):  # `!tools`
            return None
        return [self._convert_tool_for_openai(tool) for tool in tools]

    def _convert_tool_for_openai(self, tool: Any) -> Any:
        """One element of ``convertToolsForOpenAI``'s ``tools.map``."""
        if tool is None:
            raise JSTypeError("Cannot read properties of null (reading 'type')")
        if not isinstance(tool, Mapping) or tool.get("type") != "function":
            return tool
        function = tool.get("function")
        if function is None:
            raise JSTypeError(f"Cannot read properties of {_js_nullish(tool, 'function')} (reading 'name')")
        name = function.get("name") if isinstance(function, Mapping) else None
        if not isinstance(name, str):
            if name is None:
                owner = "null" if isinstance(function, Mapping) and "name" in function else "undefined"
                raise JSTypeError(f"Cannot read properties of {owner} (reading 'replace')")
            raise JSTypeError("name.replace is not a function")
        is_mcp = is_mcp_tool(name)
        converted = {**function, "strict": not is_mcp}
        if "parameters" in function:  # else `parameters: undefined`, which JSON leaves out
            parameters = function["parameters"]
            converted["parameters"] = parameters if is_mcp else self.convert_tool_schema_for_openai(parameters)
        return {**tool, "function": converted}

    # base-provider.ts: convertToolSchemaForOpenAI
    def convert_tool_schema_for_openai(self, schema: Any) -> Any:
        """Strict-mode schema: every property required, ``["t", "null"]`` types made non-nullable,
        ``additionalProperties: false`` on each object, nested objects and object arrays alike.
        """
        if not isinstance(schema, Mapping) or schema.get("type") != "object":
            return schema
        result = dict(schema)
        if result.get("additionalProperties") is not False:
            result["additionalProperties"] = False
        properties = result.get("properties")
        if js_truthy(properties):
            new_props = _js_object_spread(properties)
            all_keys = list(new_props)
            result["required"] = all_keys
            for key in all_keys:
                prop = new_props[key]
                if not isinstance(prop, dict):
                    continue
                prop_type = prop.get("type")
                if isinstance(prop_type, list) and "null" in prop_type:
                    # the reference rewrites the caller's property object in place
                    non_null_types = [t for t in prop_type if t != "null"]
                    prop["type"] = non_null_types[0] if len(non_null_types) == 1 else non_null_types
                if prop.get("type") == "object":
                    new_props[key] = self.convert_tool_schema_for_openai(prop)
                elif prop.get("type") == "array" and isinstance(prop.get("items"), Mapping) and prop["items"].get("type") == "object":
                    new_props[key] = {**prop, "items": self.convert_tool_schema_for_openai(prop["items"])}
            result["properties"] = new_props
        return result

    # base-provider.ts: countTokens
    async def count_tokens(self, content: Sequence[Mapping[str, Any]]) -> int:
        """Tokens in ``content`` by tiktoken ``o200k_base`` with the reference's fudge factor."""
        if len(content) == 0:
            return 0
        from .utils.count_tokens import count_tokens

        return await count_tokens(content, use_worker=True)


def _js_nullish(owner: Mapping[str, Any], key: str) -> str:
    """How V8 names ``owner[key]`` when it is nullish: ``undefined`` (absent) or ``null``."""
    return "null" if key in owner else "undefined"


def _js_object_spread(value: Any) -> dict[str, Any]:
    """``{...value}`` for a JSON value: an array or string spreads by index, scalars to ``{}``."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (list, str)):
        return {str(i): item for i, item in enumerate(value)}
    return {}
