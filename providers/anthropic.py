"""Anthropic handler: port of ``src/api/providers/anthropic.ts`` (Roo-Code @ cb83656).

On the @anthropic-ai/sdk 0.37.0 layer (``providers.sdk.anthropic_sdk``). Models that support
prompt caching get cache breakpoints on the system prompt and the last two user messages and the
``prompt-caching-2024-07-31`` beta; thinking deltas become ``reasoning`` chunks (signature deltas
and redacted thinking blocks yield nothing, as in the reference), tool use becomes
``tool_call_partial`` chunks, and a final usage chunk carries the cost of the whole call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from .base_provider import BaseProvider
from .sdk.anthropic_sdk import Anthropic
from .js.errors import JSTypeError
from .js.jsonjs import UNDEFINED, Undefined, js_to_number, js_truthy
from .transform.anthropic_filter import filter_non_anthropic_blocks
from .transform.model_params import get_model_params
from .transform.tool_converters import (
    convert_openai_tool_choice_to_anthropic,
    convert_openai_tools_to_anthropic,
)
from .types.anthropic import (
    ANTHROPIC_DEFAULT_MAX_TOKENS,
    ANTHROPIC_DEFAULT_MODEL_ID,
    ANTHROPIC_MODELS,
)
from .utils.cost import calculate_api_cost_anthropic

# The models the reference's two `switch (modelId)` statements list: cache breakpoints and the
# prompt caching beta.
_PROMPT_CACHING_MODEL_IDS = frozenset(
    {
        "claude-sonnet-4-6",
        "claude-sonnet-4-5",
        "claude-sonnet-4-20250514",
        "claude-opus-4-6",
        "claude-opus-4-5-20251101",
        "claude-opus-4-1-20250805",
        "claude-opus-4-20250514",
        "claude-3-7-sonnet-20250219",
        "claude-3-5-sonnet-20241022",
        "claude-3-5-haiku-20241022",
        "claude-3-opus-20240229",
        "claude-haiku-4-5-20251001",
        "claude-3-haiku-20240307",
    }
)

# Claude Sonnet 4/4.5/4.6 and Opus 4.6: the 1M context beta (anthropicBeta1MContext)
_1M_CONTEXT_MODEL_IDS = frozenset({"claude-sonnet-4-20250514", "claude-sonnet-4-5", "claude-sonnet-4-6", "claude-opus-4-6"})

_THINKING_MODEL_ID = "claude-3-7-sonnet-20250219:thinking"


class AnthropicHandler(BaseProvider):
    """``AnthropicHandler``: ``createMessage``, ``getModel``, ``completePrompt``."""

    provider_name = "Anthropic"

    # anthropic.ts: constructor
    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__()
        self.options: dict[str, Any] = dict(options)
        base_url = self.options.get("anthropicBaseUrl")
        use_auth_token = js_truthy(base_url) and js_truthy(self.options.get("anthropicUseAuthToken"))
        key: str | None | Undefined = self.options["apiKey"] if "apiKey" in self.options else UNDEFINED
        self.client = Anthropic(
            base_url=base_url if js_truthy(base_url) else None,
            api_key=UNDEFINED if use_auth_token else key,  # an explicit null is a value, not undefined
            auth_token=key if use_auth_token else UNDEFINED,
        )

    # anthropic.ts: createMessage
    async def create_message(
        self,
        system_prompt: str,
        messages: list[dict[str, Any]],
        metadata: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        cache_control = {"type": "ephemeral"}
        model = self.get_model()
        model_id: str = model["id"]
        betas: list[str] | None = model.get("betas")
        if betas is None:
            betas = ["fine-grained-tool-streaming-2025-05-14"]
        max_tokens = model.get("maxTokens")
        if max_tokens is None:
            max_tokens = ANTHROPIC_DEFAULT_MAX_TOKENS

        # non-Anthropic blocks (reasoning, thoughtSignature, …) never reach the API
        sanitized_messages = filter_non_anthropic_blocks(messages)

        if model_id in _1M_CONTEXT_MODEL_IDS and js_truthy(self.options.get("anthropicBeta1MContext")):
            betas.append("context-1m-2025-08-07")

        meta = metadata or {}
        native_tool_params: dict[str, Any] = {"tools": convert_openai_tools_to_anthropic(metadata_tools(meta))}
        tool_choice = convert_openai_tool_choice_to_anthropic(meta.get("tool_choice"), meta.get("parallelToolCalls"))
        if tool_choice is not None:
            native_tool_params["tool_choice"] = tool_choice

        body: dict[str, Any] = {"model": model_id, "max_tokens": max_tokens}
        _put_unless_nullish(body, "temperature", model, "temperature")
        if model_id in _PROMPT_CACHING_MODEL_IDS:
            # The latest user message is cached for the next request; the one before it tells
            # the server where the cached prefix of this request ends.
            user_indices = [i for i, message in enumerate(sanitized_messages) if message.get("role") == "user"]
            last_user_index = user_indices[-1] if user_indices else -1
            second_last_user_index = user_indices[-2] if len(user_indices) >= 2 else -1
            _put_unless_nullish(body, "thinking", model, "reasoning")
            # a cache breakpoint on the system prompt lets new tasks reuse it
            body["system"] = [{"text": system_prompt, "type": "text", "cache_control": cache_control}]
            body["messages"] = [
                _with_cache_breakpoint(message, cache_control)
                if index in (last_user_index, second_last_user_index)
                else message
                for index, message in enumerate(sanitized_messages)
            ]
            body["stream"] = True
            body.update(native_tool_params)
            betas.append("prompt-caching-2024-07-31")
            headers: dict[str, str | None] | None = {"anthropic-beta": ",".join(betas)}
        else:
            body["system"] = [{"text": system_prompt, "type": "text"}]
            body["messages"] = sanitized_messages
            body["stream"] = True
            body.update(native_tool_params)
            headers = None
        # (the reference reports a failed request to its telemetry before rethrowing it)
        stream = await self.client.messages_create(body, headers=headers)

        input_tokens = 0
        output_tokens = 0
        cache_write_tokens = 0
        cache_read_tokens = 0

        try:
            async for chunk in stream:
                chunk_type = properties_of(chunk, "type").get("type")
                if chunk_type == "message_start":
                    # cache reads/writes, input and output so far
                    message = properties_of(chunk.get("message", UNDEFINED), "usage")
                    usage = properties_of(message.get("usage", UNDEFINED), "input_tokens")
                    start_input = usage.get("input_tokens", 0)
                    start_output = usage.get("output_tokens", 0)
                    cache_creation: Any = usage.get("cache_creation_input_tokens")
                    cache_read: Any = usage.get("cache_read_input_tokens")
                    usage_chunk: dict[str, Any] = {
                        "type": "usage",
                        "inputTokens": start_input,
                        "outputTokens": start_output,
                    }
                    if js_truthy(cache_creation):
                        usage_chunk["cacheWriteTokens"] = cache_creation
                    if js_truthy(cache_read):
                        usage_chunk["cacheReadTokens"] = cache_read
                    yield usage_chunk
                    input_tokens += start_input or 0
                    output_tokens += start_output or 0
                    cache_write_tokens += cache_creation if js_truthy(cache_creation) else 0
                    cache_read_tokens += cache_read if js_truthy(cache_read) else 0
                elif chunk_type == "message_delta":
                    # stop_reason, stop_sequence and the output tokens so far
                    delta_output = properties_of(chunk.get("usage", UNDEFINED), "output_tokens").get("output_tokens")
                    yield {
                        "type": "usage",
                        "inputTokens": 0,
                        "outputTokens": delta_output if js_truthy(delta_output) else 0,
                    }
                elif chunk_type == "content_block_start":
                    block = properties_of(chunk.get("content_block", UNDEFINED), "type")
                    block_type = block.get("type")
                    if block_type == "thinking":
                        # several blocks: a line break between them
                        if js_to_number(chunk.get("index", UNDEFINED)) > 0:
                            yield {"type": "reasoning", "text": "\n"}
                        yield text_chunk("reasoning", block, "thinking")
                    elif block_type == "text":
                        if js_to_number(chunk.get("index", UNDEFINED)) > 0:
                            yield {"type": "text", "text": "\n"}
                        yield text_chunk("text", block, "text")
                    elif block_type == "tool_use":
                        # the tool call's id and name first; its arguments follow as deltas
                        yield tool_call_partial(chunk, block, "id", "name", None)
                elif chunk_type == "content_block_delta":
                    delta = properties_of(chunk.get("delta", UNDEFINED), "type")
                    delta_type = delta.get("type")
                    if delta_type == "thinking_delta":
                        yield text_chunk("reasoning", delta, "thinking")
                    elif delta_type == "text_delta":
                        yield text_chunk("text", delta, "text")
                    elif delta_type == "input_json_delta":
                        yield tool_call_partial(chunk, delta, None, None, "partial_json")
                # message_stop, content_block_stop (and signature deltas): nothing to yield
        finally:
            # breaking out or cancelling releases the connection at once
            await stream.aclose()

        if input_tokens > 0 or output_tokens > 0 or cache_write_tokens > 0 or cache_read_tokens > 0:
            cost = calculate_api_cost_anthropic(
                self.get_model()["info"], input_tokens, output_tokens, cache_write_tokens, cache_read_tokens
            )
            yield {"type": "usage", "inputTokens": 0, "outputTokens": 0, "totalCost": cost["totalCost"]}

    # anthropic.ts: getModel
    def get_model(self) -> dict[str, Any]:
        model_id = self.options.get("apiModelId")
        id_ = model_id if js_truthy(model_id) and model_id in ANTHROPIC_MODELS else ANTHROPIC_DEFAULT_MODEL_ID
        info: dict[str, Any] = ANTHROPIC_MODELS[id_]

        # the 1M context beta prices the model by its first tier
        if id_ in _1M_CONTEXT_MODEL_IDS and js_truthy(self.options.get("anthropicBeta1MContext")):
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

        # `:thinking` marks a hybrid reasoning model with reasoning required; the API's model id
        # has no such suffix.
        result: dict[str, Any] = {
            "id": "claude-3-7-sonnet-20250219" if id_ == _THINKING_MODEL_ID else id_,
            "info": info,
        }
        if id_ == _THINKING_MODEL_ID:
            result["betas"] = ["output-128k-2025-02-19"]
        result.update(params)
        return result

    # anthropic.ts: completePrompt
    async def complete_prompt(self, prompt: str) -> str:
        model = self.get_model()
        body: dict[str, Any] = {"model": model["id"], "max_tokens": ANTHROPIC_DEFAULT_MAX_TOKENS}
        _put_unless_nullish(body, "temperature", model, "temperature")
        body["messages"] = [{"role": "user", "content": prompt}]
        body["stream"] = False
        message = await self.client.messages_create(body)
        contents = message.get("content") if isinstance(message, dict) else None
        if not isinstance(contents, list):
            raise JSTypeError("Cannot read properties of undefined (reading 'find')")
        for content in contents:
            if content.get("type") == "text":
                text: str = content["text"]
                return text
        return ""


def metadata_tools(metadata: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``metadata?.tools ?? []``."""
    tools = metadata.get("tools")
    return [] if tools is None else tools


def _put_unless_nullish(target: dict[str, Any], key: str, source: Mapping[str, Any], source_key: str) -> None:
    """``target[key] = source[sourceKey]``, left out where that is undefined or null (the
    getModel values it copies are never null)."""
    if source.get(source_key) is not None:
        target[key] = source[source_key]


def _with_cache_breakpoint(message: dict[str, Any], cache_control: dict[str, str]) -> dict[str, Any]:
    """The message with ``cache_control`` on its last content block (a string becomes a block)."""
    content = message["content"]
    if isinstance(content, str):
        return {**message, "content": [{"type": "text", "text": content, "cache_control": cache_control}]}
    last = len(content) - 1
    return {
        **message,
        "content": [
            {**block, "cache_control": cache_control} if index == last else block for index, block in enumerate(content)
        ],
    }


def properties_of(value: Any, key: str) -> Mapping[str, Any]:
    """A streamed event's ``value`` whose ``key`` the reference reads next: V8's TypeError when
    it is undefined (``UNDEFINED``) or null; a primitive has none of the properties read."""
    if value is None or value is UNDEFINED:
        raise JSTypeError(f"Cannot read properties of {'null' if value is None else 'undefined'} (reading '{key}')")
    return value if isinstance(value, dict) else {}


def text_chunk(chunk_type: str, source: Mapping[str, Any], key: str) -> dict[str, Any]:
    """``{ type, text: source[key] }``; ``text`` left out when the event has no such field."""
    chunk: dict[str, Any] = {"type": chunk_type}
    if key in source:
        chunk["text"] = source[key]
    return chunk


def tool_call_partial(
    event: Mapping[str, Any], source: Mapping[str, Any], id_key: str | None, name_key: str | None, arguments_key: str | None
) -> dict[str, Any]:
    """``{ type: "tool_call_partial", index, id, name, arguments }`` without the undefined ones."""
    chunk: dict[str, Any] = {"type": "tool_call_partial"}
    for key, source_dict, source_key in (
        ("index", event, "index"),
        ("id", source, id_key),
        ("name", source, name_key),
        ("arguments", source, arguments_key),
    ):
        if source_key is not None and source_key in source_dict:
            chunk[key] = source_dict[source_key]
    return chunk
