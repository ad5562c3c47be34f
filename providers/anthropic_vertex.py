"""Claude on Vertex AI: port of ``src/api/providers/anthropic-vertex.ts`` (Roo-Code @ cb83656).

On @anthropic-ai/vertex-sdk 0.7.0 (``providers.sdk.anthropic_vertex_sdk``) with google-auth-library
9.15.1 credentials: ``vertexJsonCredentials``, ``vertexKeyFile`` or Application Default
Credentials. Cache breakpoints come from ``transform/caching/vertex.py``; thinking deltas become
``reasoning`` chunks (signature deltas yield nothing, as in the reference). Unlike the Anthropic
handler, no final cost chunk is yielded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from .anthropic import metadata_tools, properties_of, text_chunk, tool_call_partial
from .base_provider import BaseProvider
from .sdk.anthropic_vertex_sdk import AnthropicVertex
from .js.errors import JSError, JSTypeError
from .sdk.google_auth import CLOUD_PLATFORM_SCOPE, V9, GoogleAuth
from .js.jsonjs import UNDEFINED, js_to_number, js_truthy
from .transform.anthropic_filter import filter_non_anthropic_blocks
from .transform.caching.vertex import add_cache_breakpoints
from .transform.model_params import get_model_params
from .transform.tool_converters import (
    convert_openai_tool_choice_to_anthropic,
    convert_openai_tools_to_anthropic,
)
from .types.anthropic import ANTHROPIC_DEFAULT_MAX_TOKENS
from .types.vertex import (
    VERTEX_1M_CONTEXT_MODEL_IDS,
    VERTEX_DEFAULT_MODEL_ID,
    VERTEX_MODELS,
)
from .utils.safe_json_parse import safe_json_parse


class AnthropicVertexHandler(BaseProvider):
    """``AnthropicVertexHandler``: ``createMessage``, ``getModel``, ``completePrompt``."""

    # anthropic-vertex.ts: constructor
    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__()
        self.options: dict[str, Any] = dict(options)
        # https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/use-claude#regions
        project_id = self.options.get("vertexProjectId")
        region = self.options.get("vertexRegion")
        project_id = "not-provided" if project_id is None else project_id
        region = "us-east5" if region is None else region
        google_auth: GoogleAuth | None = None
        if js_truthy(self.options.get("vertexJsonCredentials")):
            google_auth = GoogleAuth(
                scopes=[CLOUD_PLATFORM_SCOPE],
                credentials=safe_json_parse(self.options["vertexJsonCredentials"]),
                version=V9,
            )
        elif js_truthy(self.options.get("vertexKeyFile")):
            google_auth = GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], key_file=self.options["vertexKeyFile"], version=V9)
        self.client = AnthropicVertex(project_id=project_id, region=region, google_auth=google_auth)

    # anthropic-vertex.ts: createMessage
    async def create_message(
        self,
        system_prompt: str,
        messages: list[dict[str, Any]],
        metadata: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        model = self.get_model()
        supports_prompt_cache = js_truthy(model["info"].get("supportsPromptCache"))

        # non-Anthropic blocks (reasoning, thoughtSignature, …) never reach the API
        sanitized_messages = filter_non_anthropic_blocks(messages)

        meta = metadata or {}
        tools = convert_openai_tools_to_anthropic(metadata_tools(meta))
        tool_choice = convert_openai_tool_choice_to_anthropic(meta.get("tool_choice"), meta.get("parallelToolCalls"))

        # Vertex allows at most 4 cache_control blocks, on text blocks of user messages only:
        # the system prompt and the last text block of each of the last two user messages.
        max_tokens = model.get("maxTokens")
        params: dict[str, Any] = {
            "model": model["id"],
            "max_tokens": ANTHROPIC_DEFAULT_MAX_TOKENS if max_tokens is None else max_tokens,
        }
        if model.get("temperature") is not None:
            params["temperature"] = model["temperature"]
        if model.get("reasoning") is not None:
            params["thinking"] = model["reasoning"]
        params["system"] = (
            [{"text": system_prompt, "type": "text", "cache_control": {"type": "ephemeral"}}]
            if supports_prompt_cache
            else system_prompt
        )
        params["messages"] = add_cache_breakpoints(sanitized_messages) if supports_prompt_cache else sanitized_messages
        params["stream"] = True
        params["tools"] = tools
        if tool_choice is not None:
            params["tool_choice"] = tool_choice

        betas = model.get("betas")
        headers: dict[str, str | None] | None = {"anthropic-beta": ",".join(betas)} if betas else None

        stream = await self.client.messages_create(params, headers=headers)

        try:
            async for chunk in stream:
                chunk_type = properties_of(chunk, "type").get("type")
                if chunk_type == "message_start":
                    message = properties_of(chunk.get("message", UNDEFINED), "usage")
                    usage = properties_of(message.get("usage", UNDEFINED), "input_tokens")
                    usage_chunk: dict[str, Any] = {
                        "type": "usage",
                        "inputTokens": _or_zero(usage.get("input_tokens")),
                        "outputTokens": _or_zero(usage.get("output_tokens")),
                    }
                    if js_truthy(usage.get("cache_creation_input_tokens")):
                        usage_chunk["cacheWriteTokens"] = usage["cache_creation_input_tokens"]
                    if js_truthy(usage.get("cache_read_input_tokens")):
                        usage_chunk["cacheReadTokens"] = usage["cache_read_input_tokens"]
                    yield usage_chunk
                elif chunk_type == "message_delta":
                    delta_usage = properties_of(chunk.get("usage", UNDEFINED), "output_tokens")
                    yield {"type": "usage", "inputTokens": 0, "outputTokens": _or_zero(delta_usage.get("output_tokens"))}
                elif chunk_type == "content_block_start":
                    block = properties_of(chunk.get("content_block", UNDEFINED), "type")
                    block_type = block.get("type")
                    if block_type == "text":
                        if js_to_number(chunk.get("index", UNDEFINED)) > 0:
                            yield {"type": "text", "text": "\n"}
                        yield text_chunk("text", block, "text")
                    elif block_type == "thinking":
                        if js_to_number(chunk.get("index", UNDEFINED)) > 0:
                            yield {"type": "reasoning", "text": "\n"}
                        yield text_chunk("reasoning", block, "thinking")
                    elif block_type == "tool_use":
                        # the tool call's id and name first; its arguments follow as deltas
                        yield tool_call_partial(chunk, block, "id", "name", None)
                elif chunk_type == "content_block_delta":
                    delta = properties_of(chunk.get("delta", UNDEFINED), "type")
                    delta_type = delta.get("type")
                    if delta_type == "text_delta":
                        yield text_chunk("text", delta, "text")
                    elif delta_type == "thinking_delta":
                        yield text_chunk("reasoning", delta, "thinking")
                    elif delta_type == "input_json_delta":
                        yield tool_call_partial(chunk, delta, None, None, "partial_json")
                # content_block_stop, message_stop (and signature deltas): nothing to yield
        finally:
            # breaking out or cancelling releases the connection at once
            await stream.aclose()

    # anthropic-vertex.ts: getModel
    def get_model(self) -> dict[str, Any]:
        model_id = self.options.get("apiModelId")
        id_: str = model_id if js_truthy(model_id) and model_id in VERTEX_MODELS else VERTEX_DEFAULT_MODEL_ID
        info: dict[str, Any] = VERTEX_MODELS[id_]

        # the 1M context beta for the models that support it, priced by the first tier
        enable_1m_context = id_ in VERTEX_1M_CONTEXT_MODEL_IDS and js_truthy(self.options.get("vertex1MContext"))
        if enable_1m_context:
            tiers = info.get("tiers")
            tier = tiers[0] if tiers else None
            if tier:
                info = {
                    **info,
                    "contextWindow": tier.get("contextWindow"),
                    "inputPrice": tier.get("inputPrice"),
                    "outputPrice": tier.get("outputPrice"),
                    "cacheWritesPrice": tier.get("cacheWritesPrice"),
                    "cacheReadsPrice": tier.get("cacheReadsPrice"),
                }

        params = get_model_params(
            format="anthropic", model_id=id_, model=info, settings=self.options, default_temperature=0
        )

        betas: list[str] = []
        if enable_1m_context:
            betas.append("context-1m-2025-08-07")

        # `:thinking` marks a hybrid reasoning model with reasoning required; the API's model id
        # has no such suffix.
        result: dict[str, Any] = {
            "id": id_.replace(":thinking", "", 1) if id_.endswith(":thinking") else id_,
            "info": info,
        }
        if betas:
            result["betas"] = betas
        result.update(params)
        return result

    # anthropic-vertex.ts: completePrompt
    async def complete_prompt(self, prompt: str) -> str:
        try:
            model = self.get_model()
            supports_prompt_cache = js_truthy(model["info"].get("supportsPromptCache"))
            max_tokens = model.get("maxTokens")
            params: dict[str, Any] = {
                "model": model["id"],
                "max_tokens": ANTHROPIC_DEFAULT_MAX_TOKENS if max_tokens is None else max_tokens,
            }
            if model.get("temperature") is not None:
                params["temperature"] = model["temperature"]
            if model.get("reasoning") is not None:
                params["thinking"] = model["reasoning"]
            params["messages"] = [
                {
                    "role": "user",
                    "content": (
                        [{"type": "text", "text": prompt, "cache_control": {"type": "ephemeral"}}]
                        if supports_prompt_cache
                        else prompt
                    ),
                }
            ]
            params["stream"] = False
            response = await self.client.messages_create(params)
            contents = response.get("content") if isinstance(response, dict) else None
            if not isinstance(contents, list):
                raise JSTypeError("Cannot read properties of undefined (reading '0')")
            if not contents or not isinstance(contents[0], dict):
                raise JSTypeError("Cannot read properties of undefined (reading 'type')")
            content = contents[0]
            if content.get("type") == "text":
                text: str = content["text"]
                return text
            return ""
        except JSError as error:
            raise JSError(f"Vertex completion error: {error.message}") from error


def _or_zero(value: Any) -> Any:
    """``value || 0``."""
    return value if js_truthy(value) else 0
