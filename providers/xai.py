"""xAI handler: port of ``src/api/providers/xai.ts`` (Roo-Code @ cb83656).

On the openai-node 5.12.2 layer (``providers.sdk.openai_node``), through the Responses API:
``POST https://api.x.ai/v1/responses`` (a hard-coded host). The input comes from
``transform.responses_api_input``, the stream is read by ``transform.responses_api_stream`` with
the standard usage normaliser (no cost), and a failed request is rethrown through
``handle_openai_error`` as ``xAI completion error: …``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base_provider import BaseProvider
from .constants import DEFAULT_HEADERS
from .js.jsonjs import js_truthy
from .sdk.openai_node import OpenAI
from .transform.model_params import get_model_params
from .transform.responses_api_input import convert_to_responses_api_input
from .transform.responses_api_stream import create_usage_normalizer, process_responses_api_stream
from .transform.stream import ApiStream
from .types.xai import XAI_DEFAULT_MODEL_ID, XAI_MODELS
from .utils.mcp_name import is_mcp_tool
from .utils.openai_error_handler import handle_openai_error

XAI_DEFAULT_TEMPERATURE = 0
XAI_BASE_URL = "https://api.x.ai/v1"


class XAIHandler(BaseProvider):
    """``XAIHandler``: ``createMessage``, ``getModel``, ``completePrompt``."""

    provider_name = "xAI"

    # xai.ts: constructor
    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__()
        self.options: dict[str, Any] = dict(options)
        api_key = self.options.get("xaiApiKey")
        self.client = OpenAI(
            base_url=XAI_BASE_URL,
            api_key="not-provided" if api_key is None else api_key,
            default_headers=DEFAULT_HEADERS,
        )

    # xai.ts: getModel
    def get_model(self) -> dict[str, Any]:
        model_id = self.options.get("apiModelId")
        id_ = model_id if js_truthy(model_id) and model_id in XAI_MODELS else XAI_DEFAULT_MODEL_ID
        info = XAI_MODELS[id_]
        params = get_model_params(
            format="openai",
            model_id=id_,
            model=info,
            settings=self.options,
            default_temperature=XAI_DEFAULT_TEMPERATURE,
        )
        return {"id": id_, "info": info, **params}

    # xai.ts: mapResponseTools
    def map_response_tools(self, tools: list[Any] | None) -> list[dict[str, Any]] | None:
        """Chat Completions function tools in the Responses API's flat form (``name``,
        ``description``, ``parameters``, ``strict`` on the tool itself); MCP tools keep their
        schema and get ``strict: false``."""
        converted = self.convert_tools_for_openai(tools)
        if not converted:
            return None
        mapped: list[dict[str, Any]] = []
        for tool in converted:
            if not isinstance(tool, Mapping) or tool.get("type") != "function":
                continue
            function = tool["function"]
            is_mcp = is_mcp_tool(function["name"])
            item: dict[str, Any] = {"type": "function", "name": function["name"]}
            if "description" in function:
                item["description"] = function["description"]
            if "parameters" in function:
                parameters = function["parameters"]
                item["parameters"] = parameters if is_mcp else self.convert_tool_schema_for_openai(parameters)
            item["strict"] = not is_mcp
            mapped.append(item)
        return mapped

    # xai.ts: createMessage
    async def create_message(
        self,
        system_prompt: str,
        messages: list[dict[str, Any]],
        metadata: Mapping[str, Any] | None = None,
    ) -> ApiStream:
        model = self.get_model()
        meta = metadata or {}

        # straight from the Anthropic format to Responses API input items
        input_items = convert_to_responses_api_input(messages)
        response_tools = self.map_response_tools(meta.get("tools"))

        body: dict[str, Any] = {
            "model": model["id"],
            "instructions": system_prompt,
            "input": input_items,
            "stream": True,
            "store": False,  # nothing stored server-side
            "include": ["reasoning.encrypted_content"],
        }
        if js_truthy(model.get("maxTokens")):
            body["max_output_tokens"] = model["maxTokens"]
        if "temperature" in model:
            body["temperature"] = model["temperature"]
        # `if (responseTools)`: an array is truthy even when every tool was filtered out
        if response_tools is not None:
            body["tools"] = response_tools
            tool_choice = meta.get("tool_choice")
            body["tool_choice"] = "auto" if tool_choice is None else tool_choice
            parallel_tool_calls = meta.get("parallelToolCalls")
            body["parallel_tool_calls"] = True if parallel_tool_calls is None else parallel_tool_calls
        # reasoning effort for the models that support it (grok-3-mini)
        if js_truthy(model.get("reasoning")):
            body["reasoning"] = model["reasoning"]

        # (the reference reports a failed request to its telemetry before rethrowing it)
        try:
            stream = await self.client.responses_create(body)
        except Exception as error:
            raise handle_openai_error(error, self.provider_name) from error

        try:
            async for chunk in process_responses_api_stream(stream, create_usage_normalizer()):
                yield chunk
        finally:
            # breaking out or cancelling releases the connection at once
            await stream.aclose()

    # xai.ts: completePrompt
    async def complete_prompt(self, prompt: str) -> str:
        model = self.get_model()
        body = {
            "model": model["id"],
            "input": [{"role": "user", "content": [{"type": "input_text", "text": prompt}]}],
            "store": False,
        }
        try:
            response = await self.client.responses_create(body)
        except Exception as error:
            raise handle_openai_error(error, self.provider_name) from error
        # output_text: the SDK's join of the response's output_text parts
        output_text: Any = response.get("output_text") if isinstance(response, dict) else None
        return output_text if js_truthy(output_text) else ""
