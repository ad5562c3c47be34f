"""OpenAI-compatible and Azure OpenAI handler: port of ``src/api/providers/openai.ts``
(Roo-Code @ cb83656).

On the openai-node 5.12.2 layer (``providers.sdk.openai_node``): an ``AzureOpenAI`` client for
``*.azure.com`` hosts or ``openAiUseAzure``, an ``OpenAI`` client with the ``api-version`` query
and the ``/models/chat/completions`` path for Azure AI Inference (``*.services.ai.azure.com``), a
plain ``OpenAI`` client otherwise. ``<think>`` regions of the content and ``reasoning_content``
deltas become ``reasoning`` chunks, tool call deltas ``tool_call_partial`` chunks (closed by
``tool_call_end`` on ``finish_reason: "tool_calls"``); o1/o3/o4 models take the developer-role
path, deepseek-reasoner (or ``openAiR1FormatEnabled``) the R1 message format. Failed requests are
rethrown through ``handle_openai_error`` ("OpenAI completion error: …").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, cast

from .base_provider import BaseProvider
from .constants import DEFAULT_HEADERS
from .sdk import axios
from .js.errors import JSError, JSTypeError, error_message
from .js.jsonjs import js_get, js_is_number, js_trim, js_truthy
from .sdk.openai_node import AzureOpenAI, OpenAI
from .js.whatwg_url import url_can_parse, url_host
from .transform.model_params import get_model_params
from .transform.openai_format import convert_to_openai_messages
from .transform.r1_format import convert_to_r1_format
from .transform.stream import (
    ApiStream,
    ApiStreamReasoningChunk,
    ApiStreamTextChunk,
    ApiStreamToolCallChunk,
    ApiStreamToolCallEndChunk,
    ApiStreamToolCallPartialChunk,
    ApiStreamUsageChunk,
)
from .types.deepseek import DEEP_SEEK_DEFAULT_TEMPERATURE
from .types.openai import (
    AZURE_OPENAI_DEFAULT_API_VERSION,
    OPENAI_AZURE_AI_INFERENCE_PATH,
    OPENAI_MODEL_INFO_SANE_DEFAULTS,
)
from .utils.openai_error_handler import handle_openai_error
from .utils.tag_matcher import TagMatcher, TagMatcherResult
from .utils.timeout_config import get_api_request_timeout

_CACHE_CONTROL = {"type": "ephemeral"}


def _first_choice(response: Any) -> Any:
    """``response.choices?.[0]``."""
    choices = response.get("choices") if type(response) is dict else js_get(response, "choices")
    return choices[0] if isinstance(choices, list) and choices else None


def _think_chunk(result: TagMatcherResult) -> ApiStreamTextChunk | ApiStreamReasoningChunk:
    """The TagMatcher transform: inside ``<think>`` is reasoning, the rest text."""
    if result.matched:
        return {"type": "reasoning", "text": result.data}
    return {"type": "text", "text": result.data}


class OpenAiHandler(BaseProvider):
    """``OpenAiHandler``: ``createMessage``, ``getModel``, ``completePrompt``."""

    provider_name = "OpenAI"

    # openai.ts: constructor
    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__()
        self.options: dict[str, Any] = dict(options)

        base_url_option = self.options.get("openAiBaseUrl")
        base_url = base_url_option if js_truthy(base_url_option) else "https://api.openai.com/v1"
        api_key = self.options.get("openAiApiKey")
        if api_key is None:
            api_key = "not-provided"
        is_azure_ai_inference = self._is_azure_ai_inference(base_url_option)
        url_host_ = self._get_url_host(base_url_option)
        is_azure_open_ai = (
            url_host_ == "azure.com" or url_host_.endswith(".azure.com") or js_truthy(self.options.get("openAiUseAzure"))
        )

        headers = {**DEFAULT_HEADERS, **(self.options.get("openAiHeaders") or {})}
        timeout = get_api_request_timeout()
        azure_api_version: Any = self.options.get("azureApiVersion")

        self.client: OpenAI
        if is_azure_ai_inference:
            # Azure AI Inference (e.g. DeepSeek) has its own path structure
            self.client = OpenAI(
                base_url=base_url,
                api_key=api_key,
                default_headers=headers,
                default_query={
                    "api-version": azure_api_version if js_truthy(azure_api_version) else "2024-05-01-preview"
                },
                timeout_ms=timeout,
            )
        elif is_azure_open_ai:
            # the Azure API shape differs slightly from the core API's
            self.client = AzureOpenAI(
                base_url=base_url,
                api_key=api_key,
                api_version=azure_api_version if js_truthy(azure_api_version) else AZURE_OPENAI_DEFAULT_API_VERSION,
                default_headers=headers,
                timeout_ms=timeout,
            )
        else:
            self.client = OpenAI(base_url=base_url, api_key=api_key, default_headers=headers, timeout_ms=timeout)

    # openai.ts: createMessage
    async def create_message(
        self,
        system_prompt: str,
        messages: list[dict[str, Any]],
        metadata: Mapping[str, Any] | None = None,
    ) -> ApiStream:
        model = self.get_model()
        model_info: Mapping[str, Any] = model["info"]
        reasoning = model.get("reasoning")
        model_url = self.options.get("openAiBaseUrl")
        if model_url is None:
            model_url = ""
        model_id = self.options.get("openAiModelId")
        if model_id is None:
            model_id = ""
        enabled_r1_format = self.options.get("openAiR1FormatEnabled")
        is_azure_ai_inference = self._is_azure_ai_inference(model_url)
        deepseek_reasoner = "deepseek-reasoner" in model_id or js_truthy(enabled_r1_format)

        if "o1" in model_id or "o3" in model_id or "o4" in model_id:
            async for chunk in self.handle_o3_family_message(model_id, system_prompt, messages, metadata):
                yield chunk
            return

        system_message: dict[str, Any] = {"role": "system", "content": system_prompt}

        if self._streaming_enabled():
            if deepseek_reasoner:
                converted_messages = convert_to_r1_format([{"role": "user", "content": system_prompt}, *messages])
            else:
                if js_truthy(model_info.get("supportsPromptCache")):
                    system_message = {
                        "role": "system",
                        "content": [{"type": "text", "text": system_prompt, "cache_control": dict(_CACHE_CONTROL)}],
                    }

                converted_messages = [system_message, *convert_to_openai_messages(messages)]

                if js_truthy(model_info.get("supportsPromptCache")):
                    # (as in openrouter) cache_control on the last two user messages: only one
                    # user message is ever added at a time
                    last_two_user_messages = [msg for msg in converted_messages if msg.get("role") == "user"][-2:]
                    for msg in last_two_user_messages:
                        if isinstance(msg.get("content"), str):
                            msg["content"] = [{"type": "text", "text": msg["content"]}]
                        if isinstance(msg.get("content"), list):
                            # environment details always come last, so the last text part it is
                            text_parts = [part for part in msg["content"] if js_get(part, "type") == "text"]
                            if text_parts:
                                last_text_part = text_parts[-1]
                            else:
                                last_text_part = {"type": "text", "text": "..."}
                                msg["content"].append(last_text_part)
                            last_text_part["cache_control"] = dict(_CACHE_CONTROL)

            is_grok_xai = self._is_grok_xai(self.options.get("openAiBaseUrl"))

            temperature = self.options.get("modelTemperature")
            if temperature is None:
                temperature = DEEP_SEEK_DEFAULT_TEMPERATURE if deepseek_reasoner else 0
            request_options: dict[str, Any] = {
                "model": model_id,
                "temperature": temperature,
                "messages": converted_messages,
                "stream": True,
                **({} if is_grok_xai else {"stream_options": {"include_usage": True}}),
                **(reasoning if isinstance(reasoning, dict) else {}),
                **self._tool_options(metadata),
            }

            self.add_max_tokens_if_needed(request_options, model_info)

            stream = await self._create(request_options, is_azure_ai_inference)

            matcher: TagMatcher[ApiStreamTextChunk | ApiStreamReasoningChunk] = TagMatcher("think", _think_chunk)

            last_usage: Any = None
            active_tool_call_ids: dict[str, None] = {}

            try:
                async for chunk in stream:
                    is_object = type(chunk) is dict  # what the SSE decoder gives; else JS lookups
                    choice = _first_choice(chunk)
                    delta: Any
                    if type(choice) is dict or isinstance(choice, dict):
                        delta = choice.get("delta")
                        finish_reason = choice.get("finish_reason")
                    else:
                        delta = finish_reason = None
                    if delta is None:
                        delta = {}

                    if type(delta) is dict or isinstance(delta, dict):
                        content: Any = delta.get("content")
                        if content if type(content) is str else js_truthy(content):
                            for text_chunk in matcher.update(content):
                                yield text_chunk

                        if "reasoning_content" in delta and js_truthy(delta["reasoning_content"]):
                            yield {"type": "reasoning", "text": delta["reasoning_content"]}
                        tool_calls: Any = delta.get("tool_calls")
                    else:
                        tool_calls = js_get(delta, "tool_calls")

                    # (a delta without tool calls and no "tool_calls" finish yields nothing)
                    if tool_calls is not None or finish_reason == "tool_calls":
                        for tool_chunk in self.process_tool_calls(delta, finish_reason, active_tool_call_ids):
                            yield tool_chunk

                    usage = chunk.get("usage") if is_object or isinstance(chunk, dict) else None
                    if usage is not None and js_truthy(usage):
                        last_usage = usage
            finally:
                await stream.aclose()

            for text_chunk in matcher.final():
                yield text_chunk

            if js_truthy(last_usage):
                yield self.process_usage_metrics(last_usage, model_info)
        else:
            request_options = {
                "model": model_id,
                "messages": (
                    convert_to_r1_format([{"role": "user", "content": system_prompt}, *messages])
                    if deepseek_reasoner
                    else [system_message, *convert_to_openai_messages(messages)]
                ),
                # tools are always present (at least ALWAYS_AVAILABLE_TOOLS)
                **self._tool_options(metadata),
            }

            self.add_max_tokens_if_needed(request_options, model_info)

            response = await self._create(request_options, self._is_azure_ai_inference(model_url))

            for chunk in _non_streaming_chunks(response):
                yield chunk

            yield self.process_usage_metrics(js_get(response, "usage"), model_info)

    # openai.ts: processUsageMetrics
    def process_usage_metrics(self, usage: Any, model_info: Mapping[str, Any] | None = None) -> ApiStreamUsageChunk:
        """The usage chunk; cache token counts only where non-zero."""
        prompt_tokens = js_get(usage, "prompt_tokens")
        completion_tokens = js_get(usage, "completion_tokens")
        chunk: ApiStreamUsageChunk = {
            "type": "usage",
            "inputTokens": prompt_tokens if js_truthy(prompt_tokens) else 0,
            "outputTokens": completion_tokens if js_truthy(completion_tokens) else 0,
        }
        cache_write_tokens = js_get(usage, "cache_creation_input_tokens")
        if js_truthy(cache_write_tokens):
            chunk["cacheWriteTokens"] = cache_write_tokens
        cache_read_tokens = js_get(usage, "cache_read_input_tokens")
        if js_truthy(cache_read_tokens):
            chunk["cacheReadTokens"] = cache_read_tokens
        return chunk

    # openai.ts: getModel
    def get_model(self) -> dict[str, Any]:
        id_ = self.options.get("openAiModelId")
        if id_ is None:
            id_ = ""
        info = self.options.get("openAiCustomModelInfo")
        if info is None:
            info = OPENAI_MODEL_INFO_SANE_DEFAULTS
        params = get_model_params(
            format="openai", model_id=id_, model=info, settings=self.options, default_temperature=0
        )
        return {"id": id_, "info": info, **params}

    # openai.ts: completePrompt
    async def complete_prompt(self, prompt: str) -> str:
        try:
            is_azure_ai_inference = self._is_azure_ai_inference(self.options.get("openAiBaseUrl"))
            model = self.get_model()
            model_info = model["info"]

            request_options: dict[str, Any] = {
                "model": model["id"],
                "messages": [{"role": "user", "content": prompt}],
            }

            self.add_max_tokens_if_needed(request_options, model_info)

            response = await self._create(request_options, is_azure_ai_inference)

            # response.choices?.[0]?.message.content || ""
            choice = _first_choice(response)
            if choice is None:
                return ""
            message = js_get(choice, "message")
            if message is None:
                raise JSTypeError(f"Cannot read properties of {_js_nullish(choice, 'message')} (reading 'content')")
            content = message.get("content") if isinstance(message, dict) else None
            return cast(str, content) if js_truthy(content) else ""
        except Exception as error:
            # every JS Error (the wrapped one included) is wrapped once more
            raise JSError(f"{self.provider_name} completion error: {error_message(error)}") from error

    # openai.ts: handleO3FamilyMessage
    async def handle_o3_family_message(
        self,
        model_id: str,
        system_prompt: str,
        messages: list[dict[str, Any]],
        metadata: Mapping[str, Any] | None = None,
    ) -> ApiStream:
        """o1/o3/o4: a developer message, no temperature, the model's ``reasoning_effort``."""
        model_info: Mapping[str, Any] = self.get_model()["info"]
        method_is_azure_ai_inference = self._is_azure_ai_inference(self.options.get("openAiBaseUrl"))
        developer_message = {"role": "developer", "content": f"Formatting re-enabled\n{system_prompt}"}

        if self._streaming_enabled():
            is_grok_xai = self._is_grok_xai(self.options.get("openAiBaseUrl"))

            request_options: dict[str, Any] = {
                "model": model_id,
                "messages": [developer_message, *convert_to_openai_messages(messages)],
                "stream": True,
                **({} if is_grok_xai else {"stream_options": {"include_usage": True}}),
                **_reasoning_effort(model_info),
                # temperature: undefined (left out); tools are always present (at least
                # ALWAYS_AVAILABLE_TOOLS)
                **self._tool_options(metadata),
            }

            # max_completion_tokens (not the deprecated max_tokens) when includeMaxTokens is on
            self.add_max_tokens_if_needed(request_options, model_info)

            stream = await self._create(request_options, method_is_azure_ai_inference)

            async for chunk in self.handle_stream_response(stream):
                yield chunk
        else:
            request_options = {
                "model": model_id,
                "messages": [developer_message, *convert_to_openai_messages(messages)],
                **_reasoning_effort(model_info),
                **self._tool_options(metadata),
            }

            self.add_max_tokens_if_needed(request_options, model_info)

            response = await self._create(request_options, method_is_azure_ai_inference)

            for chunk in _non_streaming_chunks(response):
                yield chunk
            yield self.process_usage_metrics(js_get(response, "usage"))

    # openai.ts: handleStreamResponse
    async def handle_stream_response(self, stream: Any) -> ApiStream:
        """The o-family stream: content as text (no ``<think>`` matching), usage per chunk."""
        active_tool_call_ids: dict[str, None] = {}
        try:
            async for chunk in stream:
                choice = _first_choice(chunk)
                delta = js_get(choice, "delta")
                finish_reason = js_get(choice, "finish_reason")

                if js_truthy(delta):
                    content = js_get(delta, "content")
                    if js_truthy(content):
                        yield {"type": "text", "text": content}

                    for tool_chunk in self.process_tool_calls(delta, finish_reason, active_tool_call_ids):
                        yield tool_chunk

                usage = js_get(chunk, "usage")
                if js_truthy(usage):
                    prompt_tokens = js_get(usage, "prompt_tokens")
                    completion_tokens = js_get(usage, "completion_tokens")
                    yield {
                        "type": "usage",
                        "inputTokens": prompt_tokens if js_truthy(prompt_tokens) else 0,
                        "outputTokens": completion_tokens if js_truthy(completion_tokens) else 0,
                    }
        finally:
            await stream.aclose()

    # openai.ts: processToolCalls
    def process_tool_calls(
        self, delta: Any, finish_reason: Any, active_tool_call_ids: dict[str, None]
    ) -> Iterator[ApiStreamToolCallPartialChunk | ApiStreamToolCallEndChunk]:
        """``tool_call_partial`` per tool call delta; ``tool_call_end`` for every call seen once
        ``finish_reason`` is "tool_calls" (``active_tool_call_ids``, an ordered set, is mutated)."""
        tool_calls = js_get(delta, "tool_calls")
        if js_truthy(tool_calls):
            for tool_call in tool_calls:
                tool_call_id = js_get(tool_call, "id")
                if js_truthy(tool_call_id):
                    active_tool_call_ids[tool_call_id] = None
                chunk: dict[str, Any] = {"type": "tool_call_partial"}
                function = js_get(tool_call, "function")
                for key, source, source_key in (
                    ("index", tool_call, "index"),
                    ("id", tool_call, "id"),
                    ("name", function, "name"),
                    ("arguments", function, "arguments"),
                ):
                    # JSON null is kept, an absent key (undefined) left out
                    if isinstance(source, dict) and source_key in source:
                        chunk[key] = source[source_key]
                yield cast(ApiStreamToolCallPartialChunk, chunk)

        # finalise the tool calls even when the stream does not close properly
        if finish_reason == "tool_calls" and active_tool_call_ids:
            for tool_call_id in active_tool_call_ids:
                yield {"type": "tool_call_end", "id": tool_call_id}
            active_tool_call_ids.clear()

    # openai.ts: _getUrlHost
    def _get_url_host(self, base_url: str | None) -> str:
        try:
            return url_host("" if base_url is None else base_url)
        except JSError:
            return ""

    # openai.ts: _isGrokXAI
    def _is_grok_xai(self, base_url: str | None) -> bool:
        return "x.ai" in self._get_url_host(base_url)

    # openai.ts: _isAzureAiInference
    def _is_azure_ai_inference(self, base_url: str | None) -> bool:
        return self._get_url_host(base_url).endswith(".services.ai.azure.com")

    # openai.ts: addMaxTokensIfNeeded
    def add_max_tokens_if_needed(self, request_options: dict[str, Any], model_info: Mapping[str, Any]) -> None:
        """``max_completion_tokens`` (``max_tokens`` is deprecated) only when ``includeMaxTokens``
        is true: the configured ``modelMaxTokens``, else the model's ``maxTokens``."""
        if self.options.get("includeMaxTokens") is True:
            model_max_tokens = self.options.get("modelMaxTokens")
            if js_truthy(model_max_tokens):
                request_options["max_completion_tokens"] = model_max_tokens
            elif "maxTokens" in model_info:
                request_options["max_completion_tokens"] = model_info["maxTokens"]

    def _streaming_enabled(self) -> bool:
        """``this.options.openAiStreamingEnabled ?? true``."""
        enabled = self.options.get("openAiStreamingEnabled")
        return True if enabled is None else js_truthy(enabled)

    def _tool_options(self, metadata: Mapping[str, Any] | None) -> dict[str, Any]:
        """The request's last properties: ``tools``, ``tool_choice`` and ``parallel_tool_calls``
        from the call's metadata (the undefined ones left out)."""
        meta = metadata or {}
        options: dict[str, Any] = {}
        tools = self.convert_tools_for_openai(meta.get("tools"))
        if tools is not None:
            options["tools"] = tools
        if "tool_choice" in meta:
            options["tool_choice"] = meta["tool_choice"]
        parallel_tool_calls = meta.get("parallelToolCalls")
        options["parallel_tool_calls"] = True if parallel_tool_calls is None else parallel_tool_calls
        return options

    async def _create(self, request_options: dict[str, Any], is_azure_ai_inference: bool) -> Any:
        """``client.chat.completions.create(requestOptions, isAzureAiInference ? { path } : {})``,
        a failure rethrown through handleOpenAIError."""
        try:
            if is_azure_ai_inference:
                return await self.client.chat_completions_create(request_options, path=OPENAI_AZURE_AI_INFERENCE_PATH)
            return await self.client.chat_completions_create(request_options)
        except Exception as error:
            raise handle_openai_error(error, self.provider_name) from error


# openai.ts: getOpenAiModels
async def get_openai_models(
    base_url: str | None = None, api_key: str | None = None, open_ai_headers: Mapping[str, str] | None = None
) -> list[Any]:
    """The ids an OpenAI-compatible ``GET <baseUrl>/models`` lists, each once, in order; ``[]``
    without a (parsable) base URL and on any failure."""
    try:
        if not base_url:
            return []
        # users paste base URLs with spaces around them
        trimmed_base_url = js_trim(base_url)
        if not url_can_parse(trimmed_base_url):
            return []
        headers = {**DEFAULT_HEADERS, **(open_ai_headers or {})}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        response = await axios.get(f"{trimmed_base_url}/models", headers)
        models = js_get(response.data, "data")
        if not isinstance(models, list) or None in models:
            # no list, or `.map` is not a function / `model.id` of null, which the catch turns into []
            return []
        return _unique([js_get(model, "id") for model in models])
    except Exception:
        return []


def _unique(values: list[Any]) -> list[Any]:
    """``[...new Set(values)]``: first occurrences in order (numbers by value, objects by identity)."""
    seen: set[Any] = set()
    unique = []
    for value in values:
        key = (
            ("number", float(value)) if js_is_number(value)
            else ("object", id(value)) if isinstance(value, (dict, list))
            else (type(value).__name__, value)
        )
        if key not in seen:
            seen.add(key)
            unique.append(value)
    return unique


def _non_streaming_chunks(response: Any) -> Iterator[ApiStreamToolCallChunk | ApiStreamTextChunk]:
    """A whole completion's tool calls (``tool_call`` chunks) and text."""
    message = js_get(_first_choice(response), "message")
    tool_calls = js_get(message, "tool_calls")
    if js_truthy(tool_calls):
        for tool_call in tool_calls:
            if js_get(tool_call, "type") == "function":
                chunk: dict[str, Any] = {"type": "tool_call"}
                function = tool_call.get("function")
                for key, source, source_key in (
                    ("id", tool_call, "id"),
                    ("name", function, "name"),
                    ("arguments", function, "arguments"),
                ):
                    if isinstance(source, dict) and source_key in source:
                        chunk[key] = source[source_key]
                yield cast(ApiStreamToolCallChunk, chunk)
    content = js_get(message, "content")
    yield {"type": "text", "text": content if js_truthy(content) else ""}


def _reasoning_effort(model_info: Mapping[str, Any]) -> dict[str, Any]:
    """``reasoning_effort: modelInfo.reasoningEffort``: left out only when the info has none
    (undefined); a null one is sent."""
    return {"reasoning_effort": model_info["reasoningEffort"]} if "reasoningEffort" in model_info else {}


def _js_nullish(owner: Mapping[str, Any], key: str) -> str:
    """How V8 names ``owner[key]`` when it is nullish: ``undefined`` (absent) or ``null``."""
    return "null" if isinstance(owner, dict) and key in owner else "undefined"


