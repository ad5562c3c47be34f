"""Port of ``src/core/prompts/tools/native-tools/converters.ts`` (Roo-Code @ cb83656).

OpenAI-style tool definitions and ``tool_choice`` in the Anthropic Messages API's shape, as the
Anthropic and Claude-on-Vertex handlers send them.
"""

from __future__ import annotations

from typing import Any

from ..js.errors import JSError
from ..js.jsonjs import js_string, js_truthy


# converters.ts: convertOpenAIToolToAnthropic
def convert_openai_tool_to_anthropic(tool: dict[str, Any]) -> dict[str, Any]:
    """``{type: "function", function: {name, description, parameters}}`` → ``{name, description,
    input_schema}`` (``input_schema`` left out when there are no parameters)."""
    if tool.get("type") != "function":
        raise JSError(f"Unsupported tool type: {js_string(tool['type']) if 'type' in tool else 'undefined'}")
    function = tool["function"]
    converted: dict[str, Any] = {}
    if "name" in function:
        converted["name"] = function["name"]
    description = function.get("description")
    converted["description"] = description if js_truthy(description) else ""
    if "parameters" in function:
        converted["input_schema"] = function["parameters"]
    return converted


# converters.ts: convertOpenAIToolsToAnthropic
def convert_openai_tools_to_anthropic(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [convert_openai_tool_to_anthropic(tool) for tool in tools]


# converters.ts: convertOpenAIToolChoiceToAnthropic
def convert_openai_tool_choice_to_anthropic(tool_choice: Any, parallel_tool_calls: Any = None) -> dict[str, Any] | None:
    """``"none"`` → ``None`` (left out), ``"required"`` → ``any``, a named function → ``tool``,
    anything else → ``auto``; ``disable_parallel_tool_use`` is ``parallelToolCalls === false``."""
    disable_parallel_tool_use = parallel_tool_calls is False
    if not js_truthy(tool_choice):
        return {"type": "auto", "disable_parallel_tool_use": disable_parallel_tool_use}
    if isinstance(tool_choice, str):
        if tool_choice == "none":
            return None
        if tool_choice == "required":
            return {"type": "any", "disable_parallel_tool_use": disable_parallel_tool_use}
        return {"type": "auto", "disable_parallel_tool_use": disable_parallel_tool_use}
    if isinstance(tool_choice, dict) and "function" in tool_choice:
        choice: dict[str, Any] = {"type": "tool"}
        if "name" in tool_choice["function"]:
            choice["name"] = tool_choice["function"]["name"]
        choice["disable_parallel_tool_use"] = disable_parallel_tool_use
        return choice
    return {"type": "auto", "disable_parallel_tool_use": disable_parallel_tool_use}
