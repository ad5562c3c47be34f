"""OpenRouter handler: port of ``src/api/providers/openrouter.ts`` (Roo-Code @ cb83656).

On the openai-node 5.12.2 layer (``providers.sdk.openai_node``), at ``openRouterBaseUrl`` or
``https://openrouter.ai/api/v1``. Every handler loads the model list in the background as it is
built, and every ``createMessage`` / ``completePrompt`` fetches it again through the model cache
(``GET https://openrouter.ai/api/v1/models``, a hard-coded host, with axios; with
``openRouterSpecificProvider`` also that model's endpoints): with an empty cache that is two
model list requests before the completion, as in the reference. A failed fetch falls back to the
default model info.

The reference also reports failed requests to its telemetry; this port has none, so those
branches reduce to rethrowing through ``handle_openai_error``. ``generateImage`` (image
generation through chat completions, outside createMessage/completePrompt) is not ported.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, Final, NoReturn, cast

from .base_provider import BaseProvider
from .constants import DEFAULT_HEADERS
from .fetchers.model_cache import get_models
from .fetchers.model_endpoint_cache import get_model_endpoints
from .fetchers.openrouter import OPEN_ROUTER_BASE_URL
from .js.errors import JSError, JSTypeError
from .js.jsonjs import UNDEFINED, js_get, js_string, js_truthy, loads
from .sdk.openai_node import OpenAI
from .transform.caching.anthropic import add_cache_breakpoints as add_anthropic_cache_breakpoints
from .transform.caching.gemini import add_cache_breakpoints as add_gemini_cache_breakpoints
from .transform.mistral_format import normalize_mistral_tool_call_id
from .transform.model_params import get_model_params
from .transform.openai_format import (
    consolidate_reasoning_details,
    convert_to_openai_messages,
    sanitize_gemini_messages,
)
from .transform.r1_format import convert_to_r1_format
from .transform.stream import ApiStream, ApiStreamChunk
from .types.deepseek import DEEP_SEEK_DEFAULT_TEMPERATURE
from .types.openrouter import (
    OPEN_ROUTER_DEFAULT_MODEL_ID,
    OPEN_ROUTER_DEFAULT_MODEL_INFO,
    OPEN_ROUTER_PROMPT_CACHING_MODELS,
    OPENROUTER_DEFAULT_PROVIDER_NAME,
)
from .utils.native_tool_call_parser import NativeToolCallParser
from .utils.openai_error_handler import handle_openai_error
from .utils.router_tool_preferences import apply_router_tool_preferences

logger = logging.getLogger(__name__)

# fine-grained tool streaming for anthropic/ models
_ANTHROPIC_BETA_HEADERS: Final = {"x-anthropic-beta": "fine-grained-tool-streaming-2025-05-14"}



# openrouter.ts: extractErrorFromMetadataRaw
def extract_error_from_metadata_raw(raw: Any) -> Any:
    """The upstream error text in ``metadata.raw`` (often JSON with ``message``, ``error.message``
    or ``error``), else ``raw`` itself; ``None`` when there is none."""
    if not js_truthy(raw):
        return None
    try:
        parsed = loads(raw if isinstance(raw, str) else js_string(raw))
    except JSError:
        return raw
    if isinstance(parsed, dict):
        if isinstance(parsed.get("message"), str):
            return parsed["message"]
        error = parsed.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"]
        if isinstance(error, str):
            return error
    return raw


class OpenRouterHandler(BaseProvider):
    """``OpenRouterHandler``: ``createMessage``, ``getModel``, ``completePrompt``."""

    provider_name = "OpenRouter"

    # openrouter.ts: constructor
    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__()
        self.options: dict[str, Any] = dict(options)
        base_url = self.options.get("openRouterBaseUrl") or OPEN_ROUTER_BASE_URL
        api_key = self.options.get("openRouterApiKey")
        self.client = OpenAI(
            base_url=base_url,
            api_key="not-provided" if api_key is None else api_key,
            default_headers=DEFAULT_HEADERS,
        )
        self.models: dict[str, dict[str, Any]] = {}
        self.endpoints: dict[str, dict[str, Any]] = {}
        self.current_reasoning_details: list[dict[str, Any]] = []
        # The reference starts loading the models here; built outside an event loop, the
        # handler starts it on its first call instead.
        self._dynamic_models_load: asyncio.Task[None] | None = None
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self._start_loading_dynamic_models()

    def _start_loading_dynamic_models(self) -> None:
        if self._dynamic_models_load is None:
            self._dynamic_models_load = self._load_dynamic_models()

    # openrouter.ts: loadDynamicModels
    def _load_dynamic_models(self) -> asyncio.Task[None]:
        """Fill ``models`` and ``endpoints`` (a failure is logged, never raised). An async
        function runs up to its first ``await`` when called: both requests start here, before
        those of a ``createMessage`` that follows."""
        fetching = self._fetch_models_and_endpoints()

        async def load() -> None:
            try:
                self.models, self.endpoints = await fetching
            except Exception as error:
                logger.error("[OpenRouterHandler] Error loading dynamic models: %s", error)

        return asyncio.ensure_future(load())

    # openrouter.ts: getReasoningDetails
    def get_reasoning_details(self) -> list[dict[str, Any]] | None:
        """The reasoning_details of the last response, consolidated, or ``None``."""
        return self.current_reasoning_details if len(self.current_reasoning_details) > 0 else None

    # openrouter.ts: handleStreamingError
    def _handle_streaming_error(self, error: Any) -> NoReturn:
        """Raise ``Error("OpenRouter API Error <code>: <message>")`` for an error object in a
        response body (``metadata.raw`` holds the upstream provider's own error). The reference
        also reports it to its telemetry, with the model id and the operation."""
        parsed_error = extract_error_from_metadata_raw(js_get(js_get(error, "metadata"), "raw"))
        message = js_get(error, "message")
        if js_truthy(parsed_error):
            raw_error_message = parsed_error
        elif js_truthy(message):
            raw_error_message = message
        else:
            raw_error_message = "Unknown error"
        raise JSError(f"OpenRouter API Error {_template(_lookup(error, 'code'))}: {js_string(raw_error_message)}")

    # openrouter.ts: createMessage
    async def create_message(
        self,
        system_prompt: str,
        messages: list[dict[str, Any]],
        metadata: Mapping[str, Any] | None = None,
    ) -> ApiStream:
        self._start_loading_dynamic_models()
        model = await self.fetch_model()
        model_id: str = model["id"]
        max_tokens: Any = model.get("maxTokens")
        reasoning = model.get("reasoning")

        self.current_reasoning_details = []

        # OpenRouter sends reasoning tokens for Gemini 2.5 Pro unasked: off unless configured
        if model_id in ("google/gemini-2.5-pro-preview", "google/gemini-2.5-pro") and reasoning is None:
            reasoning = {"exclude": True}

        # Mistral wants 9-character alphanumeric tool call ids
        is_mistral = "mistral" in model_id.lower()
        anthropic_messages: list[Mapping[str, Any]] = list(messages)
        open_ai_messages: list[dict[str, Any]] = [
            {"role": "system", "content": system_prompt},
            *convert_to_openai_messages(
                anthropic_messages, {"normalize_tool_call_id": normalize_mistral_tool_call_id} if is_mistral else None
            ),
        ]

        # DeepSeek recommends the user role over the system role
        if model_id.startswith("deepseek/deepseek-r1") or model_id == "perplexity/sonar-reasoning":
            open_ai_messages = convert_to_r1_format([{"role": "user", "content": system_prompt}, *messages])

        if model_id.startswith("google/gemini"):
            # tool calls without matching thought signatures go first; the survivors then get a
            # placeholder encrypted block (OpenRouter's documented way to skip the validation)
            open_ai_messages = sanitize_gemini_messages(open_ai_messages, model_id)
            open_ai_messages = [_with_skip_thought_signature(msg) for msg in open_ai_messages]

        # https://openrouter.ai/docs/features/prompt-caching
        if model_id in OPEN_ROUTER_PROMPT_CACHING_MODELS:
            if model_id.startswith("google"):
                add_gemini_cache_breakpoints(system_prompt, open_ai_messages)
            else:
                add_anthropic_cache_breakpoints(system_prompt, open_ai_messages)

        # https://openrouter.ai/docs/transforms
        completion_params: dict[str, Any] = {"model": model_id}
        if js_truthy(max_tokens) and max_tokens > 0:
            completion_params["max_tokens"] = max_tokens
        _put_unless_nullish(completion_params, "temperature", model, "temperature")
        _put_unless_nullish(completion_params, "top_p", model, "topP")
        completion_params["messages"] = open_ai_messages
        completion_params["stream"] = True
        completion_params["stream_options"] = {"include_usage": True}
        completion_params.update(self._provider_routing())
        if js_truthy(reasoning):
            completion_params["reasoning"] = reasoning
        meta = metadata or {}
        tools = self.convert_tools_for_openai(meta.get("tools"))
        if tools is not None:
            completion_params["tools"] = tools
        if "tool_choice" in meta:
            completion_params["tool_choice"] = meta["tool_choice"]

        try:
            stream = await self.client.chat_completions_create(completion_params, headers=_request_headers(model_id))
        except Exception as error:
            raise handle_openai_error(error, self.provider_name) from error

        last_usage: Any = None
        # reasoning_details from the API, accumulated by type and index in their original shape
        reasoning_details_accumulator: dict[str, dict[str, Any]] = {}
        # displayable reasoning_details make the top-level `reasoning` field a duplicate
        has_yielded_reasoning_from_details = False

        try:
            async for chunk in stream:
                # OpenRouter reports some errors as an `error` object in a chunk
                if _has_key(chunk, "error"):
                    self._handle_streaming_error(chunk["error"])

                choice = _first_choice(chunk)
                delta = js_get(choice, "delta")
                finish_reason = js_get(choice, "finish_reason")

                if js_truthy(delta):
                    # the reasoning_details array (Gemini 3, Claude, OpenAI o-series, …) first
                    details = js_get(delta, "reasoning_details")
                    if js_truthy(details) and isinstance(details, list):
                        for detail in details:
                            reasoning_text = _accumulate_reasoning_detail(reasoning_details_accumulator, detail)
                            if js_truthy(reasoning_text):
                                has_yielded_reasoning_from_details = True
                                yield {"type": "reasoning", "text": reasoning_text}

                    # the top-level reasoning field, unless reasoning_details showed it already
                    top_level_reasoning = js_get(delta, "reasoning")
                    if _has_key(delta, "reasoning") and js_truthy(top_level_reasoning) and isinstance(top_level_reasoning, str):
                        if not has_yielded_reasoning_from_details:
                            yield {"type": "reasoning", "text": top_level_reasoning}

                    # raw tool call chunks (NativeToolCallParser keeps their state downstream)
                    tool_calls = js_get(delta, "tool_calls")
                    if _has_key(delta, "tool_calls") and isinstance(tool_calls, list):
                        for tool_call in tool_calls:
                            yield _tool_call_partial(tool_call)

                    content = js_get(delta, "content")
                    if js_truthy(content):
                        yield {"type": "text", "text": content}

                # tool calls end with the finish reason, even if the stream does not close cleanly
                if js_truthy(finish_reason):
                    for event in NativeToolCallParser.process_finish_reason(finish_reason):
                        yield event

                usage = js_get(chunk, "usage")
                if js_truthy(usage):
                    last_usage = usage
        finally:
            # breaking out or cancelling releases the connection at once
            await stream.aclose()

        # the API's reasoning_details, consolidated (encrypted blocks without data dropped)
        if len(reasoning_details_accumulator) > 0:
            self.current_reasoning_details = consolidate_reasoning_details(
                list(reasoning_details_accumulator.values())
            )

        if js_truthy(last_usage):
            yield _usage_chunk(last_usage)

    # openrouter.ts: fetchModel
    async def fetch_model(self) -> dict[str, Any]:
        """The model list and endpoints through the caches, then ``get_model()``."""
        self.models, self.endpoints = await self._fetch_models_and_endpoints()
        return self.get_model()

    def _fetch_models_and_endpoints(self) -> asyncio.Future[tuple[dict[str, Any], dict[str, Any]]]:
        """``Promise.all([getModels(...), getModelEndpoints(...)])``: both started at the call,
        the model list first."""
        return asyncio.gather(
            get_models({"provider": "openrouter"}),
            get_model_endpoints(
                router="openrouter",
                model_id=self.options.get("openRouterModelId"),
                endpoint=self.options.get("openRouterSpecificProvider"),
            ),
        )

    # openrouter.ts: getModel
    def get_model(self) -> dict[str, Any]:
        model_id = self.options.get("openRouterModelId")
        if model_id is None:
            model_id = OPEN_ROUTER_DEFAULT_MODEL_ID
        info = self.models.get(model_id)
        if info is None:
            info = OPEN_ROUTER_DEFAULT_MODEL_INFO

        # a specific provider uses that provider's endpoint
        specific_provider: Any = self.options.get("openRouterSpecificProvider")
        if js_truthy(specific_provider) and self.endpoints.get(specific_provider) is not None:
            info = self.endpoints[specific_provider]

        # tool preferences for models reached through routers
        info = apply_router_tool_preferences(model_id, info)

        is_deep_seek_r1 = model_id.startswith("deepseek/deepseek-r1") or model_id == "perplexity/sonar-reasoning"

        params = get_model_params(
            format="openrouter",
            model_id=model_id,
            model=info,
            settings=self.options,
            default_temperature=DEEP_SEEK_DEFAULT_TEMPERATURE if is_deep_seek_r1 else 0,
        )

        return {"id": model_id, "info": info, **({"topP": 0.95} if is_deep_seek_r1 else {}), **params}

    # openrouter.ts: completePrompt
    async def complete_prompt(self, prompt: str) -> str:
        self._start_loading_dynamic_models()
        model = await self.fetch_model()
        model_id: str = model["id"]

        completion_params: dict[str, Any] = {"model": model_id}
        _put_unless_nullish(completion_params, "max_tokens", model, "maxTokens")
        _put_unless_nullish(completion_params, "temperature", model, "temperature")
        completion_params["messages"] = [{"role": "user", "content": prompt}]
        completion_params["stream"] = False
        completion_params.update(self._provider_routing())
        if js_truthy(model.get("reasoning")):
            completion_params["reasoning"] = model["reasoning"]

        try:
            response = await self.client.chat_completions_create(completion_params, headers=_request_headers(model_id))
        except Exception as error:
            raise handle_openai_error(error, self.provider_name) from error

        if _has_key(response, "error"):
            self._handle_streaming_error(response["error"])

        content = js_get(js_get(_first_choice(response), "message"), "content")
        return content if js_truthy(content) else ""

    def _provider_routing(self) -> dict[str, Any]:
        """``provider`` routing to ``openRouterSpecificProvider`` only, unless it is "[default]"."""
        specific_provider = self.options.get("openRouterSpecificProvider")
        if not js_truthy(specific_provider) or specific_provider == OPENROUTER_DEFAULT_PROVIDER_NAME:
            return {}
        return {
            "provider": {
                "order": [specific_provider],
                "only": [specific_provider],
                "allow_fallbacks": False,
            }
        }


def _request_headers(model_id: str) -> dict[str, str | None] | None:
    """The Anthropic beta header for fine-grained tool streaming on anthropic/ models."""
    return dict(_ANTHROPIC_BETA_HEADERS) if model_id.startswith("anthropic/") else None


def _put_unless_nullish(target: dict[str, Any], key: str, source: Mapping[str, Any], source_key: str) -> None:
    """``target[key] = source[source_key]``, left out where that is undefined or null (the
    getModel values it copies are never null)."""
    if source.get(source_key) is not None:
        target[key] = source[source_key]


def _lookup(value: Any, key: str) -> Any:
    """``value?.[key]`` on a JSON value where undefined and null differ: ``UNDEFINED`` for a
    missing key or a non-object."""
    return value.get(key, UNDEFINED) if isinstance(value, dict) else UNDEFINED


def _template(value: Any) -> str:
    """A value as a JS template literal writes it."""
    return "undefined" if value is UNDEFINED else js_string(value)


def _has_key(value: Any, key: str) -> bool:
    """JS ``key in value`` on a parsed JSON value (a TypeError on a primitive, as in V8)."""
    if isinstance(value, dict):
        return key in value
    if isinstance(value, list):
        return False
    raise JSTypeError(f"Cannot use 'in' operator to search for '{key}' in {js_string(value)}")


def _first_choice(response: Any) -> Any:
    """``response.choices[0]`` (V8's TypeError when there is no ``choices``)."""
    choices = _lookup(response, "choices")
    if choices is UNDEFINED or choices is None:
        raise JSTypeError(f"Cannot read properties of {_template(choices)} (reading '0')")
    if isinstance(choices, list):
        return choices[0] if choices else None
    return js_get(choices, "0")


def _with_skip_thought_signature(msg: dict[str, Any]) -> dict[str, Any]:
    """An assistant message with tool calls but no encrypted reasoning gets ONE placeholder
    ``reasoning.encrypted`` block (id of the first tool call, ``skip_thought_signature_validator``)."""
    if msg.get("role") != "assistant":
        return msg
    tool_calls = msg.get("tool_calls")
    existing_details = msg.get("reasoning_details")
    if tool_calls and len(tool_calls) > 0:
        has_encrypted = any(
            isinstance(d, dict) and d.get("type") == "reasoning.encrypted" for d in existing_details or []
        )
        if not has_encrypted:
            fake_encrypted: dict[str, Any] = {"type": "reasoning.encrypted", "data": "skip_thought_signature_validator"}
            if "id" in tool_calls[0]:
                fake_encrypted["id"] = tool_calls[0]["id"]
            fake_encrypted.update({"format": "google-gemini-v1", "index": 0})
            return {**msg, "reasoning_details": [*(existing_details or []), fake_encrypted]}
    return msg


_DETAIL_TEXT_KEYS: Final = ("text", "summary", "data")
_DETAIL_REPLACED_KEYS: Final = ("id", "format", "signature")
_DETAIL_KEYS: Final = ("type", "text", "summary", "data", "id", "format", "signature")


def _accumulate_reasoning_detail(accumulator: dict[str, dict[str, Any]], detail: Any) -> Any:
    """Merge one streamed reasoning detail into ``accumulator`` (by ``<type>-<index>``) and return
    its displayable text: the text of ``reasoning.text``, the summary of ``reasoning.summary``
    (``reasoning.encrypted`` is redacted)."""
    if detail is None:
        raise JSTypeError("Cannot read properties of null (reading 'index')")
    if not isinstance(detail, dict):
        detail = {}  # a primitive has none of these properties
    index = detail.get("index")
    if index is None:
        index = 0
    key = f"{_template(detail.get('type', UNDEFINED))}-{js_string(index)}"
    existing = accumulator.get(key)
    if existing is not None:
        # text, summary and data grow; id, format and signature are replaced
        for name in _DETAIL_TEXT_KEYS:
            if name in detail:
                before = existing.get(name)
                existing[name] = (js_string(before) if js_truthy(before) else "") + js_string(detail[name])
        for name in _DETAIL_REPLACED_KEYS:
            if name in detail:
                existing[name] = detail[name]
    else:
        accumulator[key] = {**{name: detail[name] for name in _DETAIL_KEYS if name in detail}, "index": index}

    detail_type = detail.get("type")
    if detail_type == "reasoning.text" and isinstance(detail.get("text"), str):
        return detail["text"]
    if detail_type == "reasoning.summary" and isinstance(detail.get("summary"), str):
        return detail["summary"]
    return None


def _tool_call_partial(tool_call: Any) -> ApiStreamChunk:
    """A streamed tool call delta as a ``tool_call_partial`` chunk (undefined fields left out)."""
    if tool_call is None:
        raise JSTypeError("Cannot read properties of null (reading 'index')")
    function = js_get(tool_call, "function")
    chunk: dict[str, Any] = {"type": "tool_call_partial"}
    for key, value in (
        ("index", _lookup(tool_call, "index")),
        ("id", _lookup(tool_call, "id")),
        ("name", _lookup(function, "name")),
        ("arguments", _lookup(function, "arguments")),
    ):
        if value is not UNDEFINED:
            chunk[key] = value
    return cast(ApiStreamChunk, chunk)


def _usage_chunk(usage: Any) -> ApiStreamChunk:
    """The final usage chunk; ``totalCost`` is OpenRouter's ``cost`` plus any upstream cost (BYOK)."""
    prompt_tokens = js_get(usage, "prompt_tokens")
    completion_tokens = js_get(usage, "completion_tokens")
    upstream_inference_cost = js_get(js_get(usage, "cost_details"), "upstream_inference_cost")
    cost = js_get(usage, "cost")
    chunk: dict[str, Any] = {
        "type": "usage",
        "inputTokens": prompt_tokens if js_truthy(prompt_tokens) else 0,
        "outputTokens": completion_tokens if js_truthy(completion_tokens) else 0,
    }
    cache_read_tokens = _lookup(js_get(usage, "prompt_tokens_details"), "cached_tokens")
    if cache_read_tokens is not UNDEFINED:
        chunk["cacheReadTokens"] = cache_read_tokens
    reasoning_tokens = _lookup(js_get(usage, "completion_tokens_details"), "reasoning_tokens")
    if reasoning_tokens is not UNDEFINED:
        chunk["reasoningTokens"] = reasoning_tokens
    chunk["totalCost"] = (upstream_inference_cost if js_truthy(upstream_inference_cost) else 0) + (
        cost if js_truthy(cost) else 0
    )
    return cast(ApiStreamChunk, chunk)
