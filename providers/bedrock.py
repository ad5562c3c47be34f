"""Amazon Bedrock: port of ``src/api/providers/bedrock.ts`` (``AwsBedrockHandler``, Roo-Code @ cb83656).

The Converse / ConverseStream calls go through ``providers.sdk.aws`` (the AWS SDK for JavaScript
as the reference runs it: SigV4 or bearer auth, standard retries, event-stream decoding, service
exceptions). This module keeps the handler's own logic in the reference's order: model
identification (ARNs, inference-profile prefixes, the model table), cache points, native tools,
regions and the reference's error handling (``getErrorType``, ``formatErrorMessage``,
``handleBedrockError``).

As in the reference, reasoning deltas become ``reasoning`` chunks with their text only: signature
and redacted-content deltas yield nothing, and usage chunks carry tokens without a cost.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
from collections.abc import AsyncIterator, Mapping
from typing import Any, Literal, cast, overload

from .base_provider import BaseProvider
from .constants import PACKAGE_VERSION
from .sdk import aws
from .js.errors import JSError, JSTypeError, error_message as js_error_message
from .js.jsonjs import js_is_number, js_string, js_truthy
from .transform.bedrock_converse_format import convert_to_bedrock_converse_messages as shared_converter
from .transform.cache_strategy.multi_point_strategy import MultiPointStrategy
from .transform.cache_strategy.types import CachePointPlacement, CacheStrategyConfig, ModelInfo
from .transform.model_params import get_model_params
from .types.bedrock import (
    AWS_INFERENCE_PROFILE_MAPPING,
    BEDROCK_1M_CONTEXT_MODEL_IDS,
    BEDROCK_DEFAULT_CONTEXT,
    BEDROCK_DEFAULT_MODEL_ID,
    BEDROCK_DEFAULT_PROMPT_ROUTER_MODEL_ID,
    BEDROCK_DEFAULT_TEMPERATURE,
    BEDROCK_GLOBAL_INFERENCE_MODEL_IDS,
    BEDROCK_MAX_TOKENS,
    BEDROCK_MODELS,
    BEDROCK_SERVICE_TIER_MODEL_IDS,
    BEDROCK_SERVICE_TIER_PRICING,
)
from .utils.api import should_use_reasoning_budget
from .utils.json_schema import normalize_tool_schema

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_SECONDS: float = 10 * 60
"""createMessage aborts the request and its stream 10 minutes after sending (its AbortController;
a module constant so that tests can shorten it)."""

# The keys getModelParams contributes to getModel()'s result.
_MODEL_PARAM_KEYS = (
    "format",
    "maxTokens",
    "temperature",
    "reasoningEffort",
    "reasoningBudget",
    "verbosity",
    "reasoning",
)

_ARN_REGEX = re.compile(r"^arn:[^:]+:(?:bedrock|sagemaker):([^:]+):([^:]*):(?:([^/]+)/([\w.\-:]+)|([^/]+))\Z", re.ASCII)


def _js_error_name(error: BaseException) -> Any:
    return getattr(error, "name", type(error).__name__)


def _js_replace_all(template: str, placeholder: str, value: str) -> str:
    """``template.replace(new RegExp(placeholder, "g"), value)``: ``$``-patterns of the replacement apply."""

    def replacement(match: re.Match[str]) -> str:
        out = []
        i = 0
        while i < len(value):
            char = value[i]
            nxt = value[i + 1] if i + 1 < len(value) else ""
            if char == "$" and nxt == "$":
                out.append("$")
                i += 2
            elif char == "$" and nxt == "&":
                out.append(match.group(0))
                i += 2
            elif char == "$" and nxt == "`":
                out.append(match.string[: match.start()])
                i += 2
            elif char == "$" and nxt == "'":
                out.append(match.string[match.end() :])
                i += 2
            else:
                out.append(char)
                i += 1
        return "".join(out)

    return re.sub(re.escape(placeholder), replacement, template)


class AwsBedrockHandler(BaseProvider):
    """``AwsBedrockHandler``: Amazon Bedrock through the Converse API."""

    provider_name = "Bedrock"

    # bedrock.ts: AwsBedrockHandler.constructor
    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__()
        self.options: dict[str, Any] = dict(options)
        self.arn_info: dict[str, Any] | None = None
        self.cost_model_config: dict[str, Any] = {
            "id": "",
            "info": {"maxTokens": 0, "contextWindow": 0, "supportsPromptCache": False, "supportsImages": False},
        }
        # Previous cache point placements, per conversation, for consistency across turns
        self.previous_cache_point_placements: dict[str, list[CachePointPlacement]] = {}
        region = self.options.get("awsRegion")

        # Process the user's options and determine the model for inference and cost calculations
        if self.options.get("awsCustomArn"):
            self.arn_info = self._parse_arn(self.options["awsCustomArn"], region)
            if not self.arn_info["isValid"]:
                logger.debug(
                    "Invalid ARN format", extra={"ctx": "bedrock", "errorMessage": self.arn_info["errorMessage"]}
                )
                error_message = (
                    self.arn_info.get("errorMessage")
                    or "Invalid ARN format. ARN should follow the pattern: "
                    "arn:aws:bedrock:region:account-id:resource-type/resource-name"
                )
                raise JSError("INVALID_ARN_FORMAT:" + error_message)
            if self.arn_info.get("region") and self.arn_info["region"] != self.options.get("awsRegion"):
                # The ARN's region wins over the selected one
                logger.debug(self.arn_info.get("errorMessage"), extra={"ctx": "bedrock"})
                self.options["awsRegion"] = self.arn_info["region"]
            self.options["apiModelId"] = self.arn_info["modelId"]
            # (The reference then reads arnInfo.awsUseCrossRegionInference, a field parseArn never sets.)

        if not js_truthy(self.options.get("modelTemperature")):
            self.options["modelTemperature"] = BEDROCK_DEFAULT_TEMPERATURE

        self.cost_model_config = self.get_model()

        client_config: dict[str, Any] = {
            "userAgentAppId": f"RooCode#{PACKAGE_VERSION}",
            "region": self.options.get("awsRegion"),
        }
        if self.options.get("awsBedrockEndpoint") and self.options.get("awsBedrockEndpointEnabled"):
            client_config["endpoint"] = self.options["awsBedrockEndpoint"]

        if self.options.get("awsUseApiKey") and self.options.get("awsApiKey"):
            # API key (bearer token) authentication
            client_config["token"] = {"token": self.options["awsApiKey"]}
            client_config["authSchemePreference"] = ["httpBearerAuth"]
        elif self.options.get("awsUseProfile") and self.options.get("awsProfile"):
            # Profile-based credentials
            client_config["credentials"] = aws.from_ini(profile=self.options["awsProfile"], ignore_cache=True)
        elif self.options.get("awsAccessKey") and self.options.get("awsSecretKey"):
            # Direct credentials
            credentials = {"accessKeyId": self.options["awsAccessKey"], "secretAccessKey": self.options["awsSecretKey"]}
            if self.options.get("awsSessionToken"):
                credentials["sessionToken"] = self.options["awsSessionToken"]
            client_config["credentials"] = credentials

        self.client = aws.BedrockRuntimeClient(client_config)

    # bedrock.ts: AwsBedrockHandler.guessModelInfoFromId
    def _guess_model_info_from_id(self, model_id: str) -> dict[str, Any]:
        """Model info guessed from a custom model id that is not in the model table."""
        model_config_map: dict[str, dict[str, Any]] = {
            "claude-4": {
                "maxTokens": 8192,
                "contextWindow": 200_000,
                "supportsImages": True,
                "supportsPromptCache": True,
            },
            "claude-3-7": {
                "maxTokens": 8192,
                "contextWindow": 200_000,
                "supportsImages": True,
                "supportsPromptCache": True,
            },
            "claude-3-5": {
                "maxTokens": 8192,
                "contextWindow": 200_000,
                "supportsImages": True,
                "supportsPromptCache": True,
            },
            "claude-4-opus": {
                "maxTokens": 4096,
                "contextWindow": 200_000,
                "supportsImages": True,
                "supportsPromptCache": True,
            },
            "claude-3-opus": {
                "maxTokens": 4096,
                "contextWindow": 200_000,
                "supportsImages": True,
                "supportsPromptCache": True,
            },
            "claude-3-haiku": {
                "maxTokens": 4096,
                "contextWindow": 200_000,
                "supportsImages": True,
                "supportsPromptCache": True,
            },
        }
        if not isinstance(model_id, str):
            raise JSTypeError("Cannot read properties of undefined (reading 'toLowerCase')")
        lowered = model_id.lower()
        for pattern, config in model_config_map.items():
            if pattern in lowered:
                return config
        # Default fallback
        return {
            "maxTokens": BEDROCK_MAX_TOKENS,
            "contextWindow": BEDROCK_DEFAULT_CONTEXT,
            "supportsImages": False,
            "supportsPromptCache": False,
        }

    # bedrock.ts: AwsBedrockHandler.createMessage
    async def create_message(
        self,
        system_prompt: str,
        messages: list[dict[str, Any]],
        metadata: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Stream a reply as ``text``, ``reasoning``, ``tool_call_partial`` and ``usage`` chunks."""
        metadata = metadata or {}
        model_config = self.get_model()
        use_prompt_cache_setting = self.options.get("awsUsePromptCache")
        use_prompt_cache = js_truthy(True if use_prompt_cache_setting is None else use_prompt_cache_setting) and js_truthy(
            self._supports_aws_prompt_cache(model_config)
        )

        if len(messages) > 0:
            first_content = messages[0].get("content")
            preview = first_content[:20] if isinstance(first_content, str) else "complex_content"
            conversation_id = f"conv_{messages[0].get('role')}_{preview}"
        else:
            conversation_id = "default_conversation"

        formatted = self._convert_to_bedrock_converse_messages(
            messages, system_prompt, use_prompt_cache, model_config["info"], conversation_id
        )

        additional_model_request_fields: dict[str, Any] | None = None
        thinking_enabled = False

        # Thinking: explicitly requested in metadata, or enabled by the settings
        thinking = metadata.get("thinking") or {}
        is_thinking_explicitly_enabled = thinking.get("enabled")
        is_thinking_enabled_by_settings = (
            should_use_reasoning_budget(model=model_config["info"], settings=self.options)
            and js_truthy(model_config.get("reasoning"))
            and js_truthy(model_config.get("reasoningBudget"))
        )
        if (js_truthy(is_thinking_explicitly_enabled) or is_thinking_enabled_by_settings) and model_config["info"].get(
            "supportsReasoningBudget"
        ):
            thinking_enabled = True
            budget = thinking.get("maxThinkingTokens") or model_config.get("reasoningBudget") or 4096
            additional_model_request_fields = {"thinking": {"type": "enabled", "budget_tokens": budget}}
            logger.debug(
                "Extended thinking enabled for Bedrock request", extra={"ctx": "bedrock", "modelId": model_config["id"]}
            )

        inference_config: dict[str, Any] = {
            "maxTokens": model_config.get("maxTokens") or model_config["info"].get("maxTokens"),
            "temperature": (
                model_config["temperature"]
                if model_config.get("temperature") is not None
                else self.options.get("modelTemperature")
            ),
        }

        # 1M context for the supported Claude models (inference-profile prefixes stripped)
        base_model_id = self._parse_base_model_id(model_config["id"])
        is_1m_context_enabled = base_model_id in BEDROCK_1M_CONTEXT_MODEL_IDS and js_truthy(
            self.options.get("awsBedrock1MContext")
        )

        # Service tier (a top-level parameter)
        use_service_tier = (
            js_truthy(self.options.get("awsBedrockServiceTier")) and base_model_id in BEDROCK_SERVICE_TIER_MODEL_IDS
        )
        if use_service_tier:
            logger.debug(
                "Service tier specified for Bedrock request", extra={"ctx": "bedrock", "modelId": model_config["id"]}
            )

        anthropic_betas: list[str] = []
        if is_1m_context_enabled:
            anthropic_betas.append("context-1m-2025-08-07")
        # Fine-grained tool streaming beta for Claude models
        if "claude" in base_model_id:
            anthropic_betas.append("fine-grained-tool-streaming-2025-05-14")
        if anthropic_betas:
            if additional_model_request_fields is None:
                additional_model_request_fields = {}
            additional_model_request_fields["anthropic_beta"] = anthropic_betas

        tool_config: dict[str, Any] = {"tools": self._convert_tools_for_bedrock(metadata.get("tools") or [])}
        tool_choice = self._convert_tool_choice_for_bedrock(metadata.get("tool_choice"))
        if tool_choice is not None:
            tool_config["toolChoice"] = tool_choice

        payload: dict[str, Any] = {
            "modelId": model_config["id"],
            "messages": formatted["messages"],
            "system": formatted["system"],
            "inferenceConfig": inference_config,
        }
        if additional_model_request_fields is not None:
            payload["additionalModelRequestFields"] = additional_model_request_fields
        # anthropic_version and service_tier are not ConverseStream members: the SDK drops them.
        if thinking_enabled:
            payload["anthropic_version"] = "bedrock-2023-05-31"
        payload["toolConfig"] = tool_config
        if use_service_tier:
            payload["service_tier"] = self.options["awsBedrockServiceTier"]

        # The 10-minute AbortController covers the request and the whole stream: before the response
        # the send rejects with AbortError; after it the stream just ends (no usage chunk, no error).
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REQUEST_TIMEOUT_SECONDS
        try:
            try:
                response = await asyncio.wait_for(self.client.converse_stream(payload), REQUEST_TIMEOUT_SECONDS)
            except asyncio.TimeoutError:
                raise JSError("Request aborted", name="AbortError") from None
            abort_timer = loop.call_at(deadline, response.abort)
            try:
                async for stream_event in response.stream:
                    for chunk in self._stream_event_chunks(stream_event):
                        yield chunk
            finally:
                abort_timer.cancel()
                await response.aclose()
        except Exception as error:
            error_type = self._get_error_type(error)
            # Throttling errors are thrown as they are, without chunks, for the caller's retry logic
            if error_type == "THROTTLING":
                raise
            # Other errors: the error text and a zero usage chunk, then the enhanced error
            error_chunks = self._handle_bedrock_error(error, True)
            for chunk in error_chunks:
                yield chunk
            enhanced_message = self._format_error_message(error, self._get_error_type(error), True)
            raise self._enhanced_error(enhanced_message, error) from None

    def _stream_event_chunks(self, stream_event: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The chunks one ConverseStream event yields (the body of createMessage's loop)."""
        # Metadata events first
        metadata = stream_event.get("metadata")
        usage = metadata.get("usage") if isinstance(metadata, dict) else None
        if usage is not None:
            # Both field naming conventions for cache tokens
            return [
                {
                    "type": "usage",
                    "inputTokens": usage.get("inputTokens") or 0,
                    "outputTokens": usage.get("outputTokens") or 0,
                    "cacheReadTokens": usage.get("cacheReadInputTokens") or usage.get("cacheReadInputTokenCount") or 0,
                    "cacheWriteTokens": usage.get("cacheWriteInputTokens")
                    or usage.get("cacheWriteInputTokenCount")
                    or 0,
                }
            ]
        # (The reference's top-level ``trace.promptRouter`` branch is unreachable: the SDK only
        # delivers ``trace`` inside ``metadata``.)

        if stream_event.get("messageStart") is not None:
            return []

        cb_start = stream_event.get("contentBlockStart")
        if cb_start is not None:
            return self._content_block_start_chunks(cb_start)

        cb_delta = stream_event.get("contentBlockDelta")
        if cb_delta is not None:
            return self._content_block_delta_chunks(cb_delta)
        return []

    @staticmethod
    def _content_block_start_chunks(cb_start: Mapping[str, Any]) -> list[dict[str, Any]]:
        content_block = cb_start.get("contentBlock") or {}
        legacy_block = cb_start.get("content_block") or {}
        start = cb_start.get("start") or {}
        index: Any = cb_start.get("contentBlockIndex")
        separator = [{"type": "reasoning", "text": "\n"}] if js_truthy(index) and index > 0 else []
        # A reasoning block (AWS SDK structure)
        reasoning = content_block.get("reasoningContent")
        if js_truthy(reasoning):
            text = reasoning.get("text") if isinstance(reasoning, dict) else None
            return [*separator, {"type": "reasoning", "text": text or ""}]
        # A thinking block, in either structure
        if content_block.get("type") == "thinking" or legacy_block.get("type") == "thinking":
            block = cb_start["contentBlock"] if js_truthy(cb_start.get("contentBlock")) else legacy_block
            thinking = [{"type": "reasoning", "text": block["thinking"]}] if js_truthy(block.get("thinking")) else []
            return [*separator, *thinking]
        # A tool use block
        tool_use: Any = start.get("toolUse") if js_truthy(start.get("toolUse")) else content_block.get("toolUse")
        if js_truthy(tool_use):
            chunk: dict[str, Any] = {"type": "tool_call_partial", "index": index if index is not None else 0}
            if tool_use.get("toolUseId") is not None:
                chunk["id"] = tool_use["toolUseId"]
            if tool_use.get("name") is not None:
                chunk["name"] = tool_use["name"]
            return [chunk]
        if js_truthy(start.get("text")):
            return [{"type": "text", "text": start["text"]}]
        return []

    @staticmethod
    def _content_block_delta_chunks(cb_delta: Mapping[str, Any]) -> list[dict[str, Any]]:
        delta: Any = cb_delta.get("delta")
        if not js_truthy(delta):
            return []
        reasoning = delta.get("reasoningContent")
        if isinstance(reasoning, dict) and js_truthy(reasoning.get("text")):
            return [{"type": "reasoning", "text": reasoning["text"]}]
        tool_use = delta.get("toolUse")
        if isinstance(tool_use, dict) and js_truthy(tool_use.get("input")):
            index = cb_delta.get("contentBlockIndex")
            return [
                {
                    "type": "tool_call_partial",
                    "index": index if index is not None else 0,
                    "arguments": tool_use["input"],
                }
            ]
        # Alternative thinking structure, then plain text
        if delta.get("type") == "thinking_delta" and js_truthy(delta.get("thinking")):
            return [{"type": "reasoning", "text": delta["thinking"]}]
        if js_truthy(delta.get("text")):
            return [{"type": "text", "text": delta["text"]}]
        return []

    # bedrock.ts: AwsBedrockHandler.completePrompt
    async def complete_prompt(self, prompt: str) -> str:
        """One non-streaming Converse call; the first text block, or ``""``."""
        try:
            model_config = self.get_model()
            inference_config = {
                "maxTokens": model_config.get("maxTokens") or model_config["info"].get("maxTokens"),
                "temperature": (
                    model_config["temperature"]
                    if model_config.get("temperature") is not None
                    else self.options.get("modelTemperature")
                ),
            }
            # A conversation id based on the prompt
            conversation_id = f"prompt_{prompt[:20]}"
            payload = {
                "modelId": model_config["id"],
                "messages": self._convert_to_bedrock_converse_messages(
                    [{"role": "user", "content": prompt}], None, False, model_config["info"], conversation_id
                )["messages"],
                "inferenceConfig": inference_config,
            }
            response = await self.client.converse(payload)
            content = ((response.get("output") or {}).get("message") or {}).get("content")
            if content and len(content) > 0:
                text = content[0].get("text")
                if js_truthy(text) and len(text.strip()) > 0:
                    return str(text)
            return ""
        except Exception as error:
            error_message = self._handle_bedrock_error(error, False)
            raise self._enhanced_error(error_message, error) from None

    @staticmethod
    def _enhanced_error(message: str, error: BaseException) -> JSError:
        """``new Error(message)`` keeping the original's ``name``, numeric ``status`` and ``$metadata``."""
        enhanced = JSError(message, name=_js_error_name(error))
        status = getattr(error, "status", None)
        if js_is_number(status):
            enhanced.status = status
        metadata = getattr(error, "metadata", None)
        if isinstance(metadata, dict):
            setattr(enhanced, "metadata", metadata)
        return enhanced

    # bedrock.ts: AwsBedrockHandler.convertToBedrockConverseMessages
    def _convert_to_bedrock_converse_messages(
        self,
        anthropic_messages: list[dict[str, Any]],
        system_message: str | None = None,
        use_prompt_cache: bool = False,
        model_info: Mapping[str, Any] | None = None,
        conversation_id: str | None = None,
    ) -> dict[str, Any]:
        """Converse messages and system blocks, with cache points when prompt caching is on."""
        converted_messages = shared_converter(anthropic_messages)
        if not use_prompt_cache:
            return {"system": [{"text": system_message}] if system_message else [], "messages": converted_messages}

        info = model_info or {}
        cache_model_info: ModelInfo = {
            "maxTokens": info.get("maxTokens") or 8192,
            "contextWindow": info.get("contextWindow") or 200_000,
            "supportsPromptCache": info.get("supportsPromptCache") or False,
            "maxCachePoints": info.get("maxCachePoints") or 0,
            "minTokensPerCachePoint": info.get("minTokensPerCachePoint") or 50,
            "cachableFields": info.get("cachableFields") or [],
        }
        previous_placements = self.previous_cache_point_placements.get(conversation_id) if conversation_id else None
        config: CacheStrategyConfig = {
            "modelInfo": cache_model_info,
            "systemPrompt": system_message,
            "messages": anthropic_messages,
            "usePromptCache": use_prompt_cache,
            "previousCachePointPlacements": previous_placements,
        }
        cache_result = MultiPointStrategy(config).determine_optimal_cache_points()

        placements = cache_result.get("messageCachePointPlacements")
        if conversation_id and placements is not None:
            self.previous_cache_point_placements[conversation_id] = placements

        placed = {p["index"] for p in placements or []}
        messages_with_cache = [
            {**message, "content": [*(message.get("content") or []), {"cachePoint": {"type": "default"}}]}
            if index in placed
            else message
            for index, message in enumerate(converted_messages)
        ]
        return {"system": cache_result["system"], "messages": messages_with_cache}

    # -- MODEL IDENTIFICATION ----------------------------------------------------------------

    # bedrock.ts: AwsBedrockHandler.parseArn
    def _parse_arn(self, arn: str, region: str | None = None) -> dict[str, Any]:
        """Region, resource type and model id of a Bedrock (or SageMaker) ARN."""
        match = _ARN_REGEX.match(arn)
        if match and match.group(1) and match.group(3) and match.group(4):
            original_model_id = match.group(4)
            result: dict[str, Any] = {
                "isValid": True,
                "crossRegionInference": False,
                "modelType": match.group(3),
                "modelId": self._parse_base_model_id(original_model_id),
                "region": match.group(1),
            }
            arn_region = match.group(1)
            # A model id that changed when parsed had an inference-profile prefix
            if original_model_id and result["modelId"] != original_model_id:
                prefix = original_model_id.replace(result["modelId"], "", 1)
                result["crossRegionInference"] = self._is_system_inference_profile(prefix)
            if region and arn_region != region:
                result["errorMessage"] = (
                    f"Region mismatch: The region in your ARN ({arn_region}) does not match your selected "
                    f"region ({region}). This may cause access issues. The provider will use the region from the ARN."
                )
                result["region"] = arn_region
            return result
        return {
            "isValid": False,
            "errorMessage": "Invalid ARN format. ARN should follow the Amazon Bedrock ARN pattern.",
            "crossRegionInference": False,
        }

    # bedrock.ts: AwsBedrockHandler.parseBaseModelId
    def _parse_base_model_id(self, model_id: str) -> str:
        """The model id without a cross-region or global inference-profile prefix."""
        if not model_id:
            return model_id
        for _, inference_profile in AWS_INFERENCE_PROFILE_MAPPING:
            if model_id.startswith(inference_profile):
                return model_id[len(inference_profile) :]
        if model_id.startswith("global."):
            return model_id[len("global.") :]
        return model_id

    # bedrock.ts: AwsBedrockHandler.getModelById
    def get_model_by_id(self, model_id: str, model_type: str | None = None) -> dict[str, Any]:
        """Model id and (copied) info from the table, the prompt-router default, or a guess."""
        base_model_id = self._parse_base_model_id(model_id)
        model: dict[str, Any]
        if base_model_id in BEDROCK_MODELS:
            model = {"id": base_model_id, "info": copy.deepcopy(BEDROCK_MODELS[base_model_id])}
        elif model_type and "router" in model_type:
            model = {
                "id": BEDROCK_DEFAULT_PROMPT_ROUTER_MODEL_ID,
                "info": copy.deepcopy(BEDROCK_MODELS[BEDROCK_DEFAULT_PROMPT_ROUTER_MODEL_ID]),
            }
        else:
            # Heuristics for the model info, with the user's overrides below
            guessed = self._guess_model_info_from_id(model_id)
            model = {
                "id": BEDROCK_DEFAULT_MODEL_ID,
                "info": {**copy.deepcopy(BEDROCK_MODELS[BEDROCK_DEFAULT_MODEL_ID]), **guessed},
            }
        max_tokens: Any = self.options.get("modelMaxTokens")
        if js_is_number(max_tokens) and max_tokens > 0:
            model["info"]["maxTokens"] = max_tokens
        context_window: Any = self.options.get("awsModelContextWindow")
        if js_is_number(context_window) and context_window > 0:
            model["info"]["contextWindow"] = context_window
        return model

    # bedrock.ts: AwsBedrockHandler.getModel
    def get_model(self) -> dict[str, Any]:
        """``{id, info, format, maxTokens, temperature, reasoning, reasoningBudget, …}``."""
        if len(self.cost_model_config.get("id", "").strip()) > 0:
            params = get_model_params(
                format="anthropic",
                model_id=self.cost_model_config["id"],
                model=self.cost_model_config["info"],
                settings=self.options,
                default_temperature=BEDROCK_DEFAULT_TEMPERATURE,
            )
            return {**self._without_params(self.cost_model_config), **params}

        if self.options.get("awsCustomArn"):
            assert self.arn_info is not None
            model_config = self.get_model_by_id(self.arn_info["modelId"], self.arn_info.get("modelType"))
            # A foundation-model ARN is the same as picking the model; any other ARN is the identifier
            if self.arn_info.get("modelType") != "foundation-model":
                model_config["id"] = self.options["awsCustomArn"]
        else:
            # A model selected from the list
            model_config = self.get_model_by_id(cast(str, self.options.get("apiModelId")))  # `as string`
            # Global inference (takes precedence over cross-region inference)
            base_id_for_global = self._parse_base_model_id(model_config["id"])
            if self.options.get("awsUseGlobalInference") and base_id_for_global in BEDROCK_GLOBAL_INFERENCE_MODEL_IDS:
                model_config["id"] = f"global.{base_id_for_global}"
            elif self.options.get("awsUseCrossRegionInference") and self.options.get("awsRegion"):
                prefix = self._get_prefix_for_region(self.options["awsRegion"])
                if prefix:
                    model_config["id"] = f"{prefix}{model_config['id']}"

        # 1M context: the context window and prices of the 1M tier
        base_model_id = self._parse_base_model_id(model_config["id"])
        if base_model_id in BEDROCK_1M_CONTEXT_MODEL_IDS and self.options.get("awsBedrock1MContext"):
            info = model_config["info"]
            tier = (info.get("tiers") or [{}])[0]

            def tier_value(key: str, fallback: Any) -> Any:
                return tier[key] if tier.get(key) is not None else fallback

            model_config["info"] = _without_none(
                {
                    **info,
                    "contextWindow": tier_value("contextWindow", 1_000_000),
                    "inputPrice": tier_value("inputPrice", info.get("inputPrice")),
                    "outputPrice": tier_value("outputPrice", info.get("outputPrice")),
                    "cacheWritesPrice": tier_value("cacheWritesPrice", info.get("cacheWritesPrice")),
                    "cacheReadsPrice": tier_value("cacheReadsPrice", info.get("cacheReadsPrice")),
                }
            )

        params = get_model_params(
            format="anthropic",
            model_id=model_config["id"],
            model=model_config["info"],
            settings=self.options,
            default_temperature=BEDROCK_DEFAULT_TEMPERATURE,
        )

        # Service tier pricing
        base_model_id_for_tier = self._parse_base_model_id(model_config["id"])
        service_tier = self.options.get("awsBedrockServiceTier")
        if service_tier and base_model_id_for_tier in BEDROCK_SERVICE_TIER_MODEL_IDS:
            multiplier = BEDROCK_SERVICE_TIER_PRICING.get(service_tier)
            if multiplier and multiplier != 1.0:
                info = model_config["info"]
                model_config["info"] = _without_none(
                    {
                        **info,
                        **{
                            key: info[key] * multiplier if js_truthy(info.get(key)) else None
                            for key in ("inputPrice", "outputPrice", "cacheWritesPrice", "cacheReadsPrice")
                        },
                    }
                )

        return {**model_config, **params}

    @staticmethod
    def _without_params(model_config: Mapping[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in model_config.items() if key not in _MODEL_PARAM_KEYS}

    # -- CACHE ---------------------------------------------------------------------------------

    # bedrock.ts: AwsBedrockHandler.supportsAwsPromptCache
    @staticmethod
    def _supports_aws_prompt_cache(model_config: Mapping[str, Any]) -> Any:
        """Whether the model supports prompt cache and has cachable fields."""
        info = model_config.get("info") or {}
        supports = info.get("supportsPromptCache")
        if not js_truthy(supports):
            return supports
        fields: Any = info.get("cachableFields")
        if not js_truthy(fields):
            return fields
        return len(fields) > 0

    # (The reference's private removeCachePoints is never called.)

    # -- NATIVE TOOLS --------------------------------------------------------------------------

    # bedrock.ts: AwsBedrockHandler.convertToolsForBedrock
    @staticmethod
    def _convert_tools_for_bedrock(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """OpenAI function tools as Converse ``toolSpec``s (schemas normalised to draft 2020-12)."""
        converted = []
        for tool in tools:
            if tool.get("type") != "function":
                continue
            function = tool["function"]
            # An absent ``parameters`` is undefined in the reference: the SDK then fails on the union.
            input_schema = {"json": normalize_tool_schema(function["parameters"])} if "parameters" in function else {}
            converted.append(
                {
                    "toolSpec": {
                        "name": function.get("name"),
                        "description": function.get("description"),
                        "inputSchema": input_schema,
                    }
                }
            )
        return converted

    # bedrock.ts: AwsBedrockHandler.convertToolChoiceForBedrock
    @staticmethod
    def _convert_tool_choice_for_bedrock(tool_choice: Any) -> dict[str, Any] | None:
        """OpenAI ``tool_choice`` as a Converse ``toolChoice`` (``None`` for ``"none"``)."""
        if not js_truthy(tool_choice):
            # Default to auto - model decides whether to use tools
            return {"auto": {}}
        if isinstance(tool_choice, str):
            if tool_choice == "none":
                return None  # Bedrock doesn't have "none", just omit tools
            if tool_choice == "required":
                return {"any": {}}  # Model must use at least one tool
            return {"auto": {}}
        if isinstance(tool_choice, dict) and "function" in tool_choice:
            return {"tool": {"name": tool_choice["function"]["name"]}}
        return {"auto": {}}

    # -- AMAZON REGIONS ------------------------------------------------------------------------

    # bedrock.ts: AwsBedrockHandler.getPrefixForRegion
    @staticmethod
    def _get_prefix_for_region(region: str) -> str | None:
        """The inference-profile prefix of a region (most specific pattern first)."""
        for region_pattern, inference_profile in AWS_INFERENCE_PROFILE_MAPPING:
            if region.startswith(region_pattern):
                return inference_profile
        return None

    # bedrock.ts: AwsBedrockHandler.isSystemInferenceProfile
    @staticmethod
    def _is_system_inference_profile(prefix: str) -> bool:
        return any(prefix == inference_profile for _, inference_profile in AWS_INFERENCE_PROFILE_MAPPING)

    # -- ERROR HANDLING ------------------------------------------------------------------------

    # bedrock.ts: AwsBedrockHandler.ERROR_TYPES (patterns, message template, log level)
    ERROR_TYPES: dict[str, dict[str, Any]] = {
        "ACCESS_DENIED": {
            "patterns": ["access", "denied", "permission"],
            "messageTemplate": """You don't have access to the model specified.

Please verify:
1. Try cross-region inference if you're using a foundation model
2. If using an ARN, verify the ARN is correct and points to a valid model
3. Your AWS credentials have permission to access this model (check IAM policies)
4. The region in the ARN matches the region where the model is deployed
5. If using a provisioned model, ensure it's active and not in a failed state""",
            "logLevel": "error",
        },
        "NOT_FOUND": {
            "patterns": ["not found", "does not exist"],
            "messageTemplate": """The specified ARN does not exist or is invalid. Please check:

1. The ARN format is correct (arn:aws:bedrock:region:account-id:resource-type/resource-name)
2. The model exists in the specified region
3. The account ID in the ARN is correct""",
            "logLevel": "error",
        },
        "THROTTLING": {
            "patterns": [
                "throttl",
                "rate",
                "limit",
                "bedrock is unable to process your request",  # Amazon Bedrock specific throttling message
                "please wait",
                "quota exceeded",
                "service unavailable",
                "busy",
                "overloaded",
                "too many requests",
                "request limit",
                "concurrent requests",
            ],
            "messageTemplate": """Request was throttled or rate limited. Please try:
1. Reducing the frequency of requests
2. If using a provisioned model, check its throughput settings
3. Contact AWS support to request a quota increase if needed

""",
            "logLevel": "error",
        },
        "TOO_MANY_TOKENS": {
            "patterns": ["too many tokens", "token limit exceeded", "context length", "maximum context length"],
            "messageTemplate": """"Too many tokens" error detected.
Possible Causes:
1. Input exceeds model's context window limit
2. Rate limiting (too many tokens per minute)
3. Quota exceeded for token usage
4. Other token-related service limitations

Suggestions:
1. Reduce the size of your input
2. Split your request into smaller chunks
3. Use a model with a larger context window
4. If rate limited, reduce request frequency
5. Check your Amazon Bedrock quotas and limits

""",
            "logLevel": "error",
        },
        "SERVICE_QUOTA_EXCEEDED": {
            "patterns": ["service quota exceeded", "service quota", "quota exceeded for model"],
            "messageTemplate": """Service quota exceeded. This error indicates you've reached AWS service limits.

Please try:
1. Contact AWS support to request a quota increase
2. Reduce request frequency temporarily
3. Check your Amazon Bedrock quotas in the AWS console
4. Consider using a different model or region with available capacity

""",
            "logLevel": "error",
        },
        "MODEL_NOT_READY": {
            "patterns": ["model not ready", "model is not ready", "provisioned throughput not ready", "model loading"],
            "messageTemplate": """Model is not ready or still loading. This can happen with:
1. Provisioned throughput models that are still initializing
2. Custom models that are being loaded
3. Models that are temporarily unavailable

Please try:
1. Wait a few minutes and retry
2. Check the model status in Amazon Bedrock console
3. Verify the model is properly provisioned

""",
            "logLevel": "error",
        },
        "INTERNAL_SERVER_ERROR": {
            "patterns": ["internal server error", "internal error", "server error", "service error"],
            "messageTemplate": """Amazon Bedrock internal server error. This is a temporary service issue.

Please try:
1. Retry the request after a brief delay
2. If the error persists, check AWS service health
3. Contact AWS support if the issue continues

""",
            "logLevel": "error",
        },
        "ON_DEMAND_NOT_SUPPORTED": {
            "patterns": ["with on-demand throughput isn’t supported."],
            "messageTemplate": """
1. Try enabling cross-region inference in settings.
2. Or, create an inference profile and then leverage the "Use custom ARN..." option of the model selector in settings.""",
            "logLevel": "error",
        },
        "ABORT": {
            "patterns": ["aborterror"],  # This will match error.name.toLowerCase() for AbortError
            "messageTemplate": "Request was aborted: The operation timed out or was manually cancelled. "
            "Please try again or check your network connection.",
            "logLevel": "info",
        },
        "INVALID_ARN_FORMAT": {
            "patterns": ["invalid_arn_format:", "invalid arn format"],
            "messageTemplate": "Invalid ARN format. ARN should follow the pattern: "
            "arn:aws:bedrock:region:account-id:resource-type/resource-name",
            "logLevel": "error",
        },
        "VALIDATION_ERROR": {
            "patterns": [
                "input tag",
                "does not match any of the expected tags",
                "field required",
                "validation",
                "invalid parameter",
            ],
            "messageTemplate": """Parameter validation error: {errorMessage}

This error indicates that the request parameters don't match Amazon Bedrock's expected format.

Common causes:
1. Extended thinking parameter format is incorrect
2. Model-specific parameters are not supported by this model
3. API parameter structure has changed

Please check:
- Model supports the requested features (extended thinking, etc.)
- Parameter format matches Amazon Bedrock specification
- Model ID is correct for the requested features""",
            "logLevel": "error",
        },
        # Default/generic error
        "GENERIC": {
            "patterns": [],  # Empty patterns array means this is the default
            "messageTemplate": "Unknown Error: {errorMessage}",
            "logLevel": "error",
        },
    }

    # Most specific first (SERVICE_QUOTA_EXCEEDED before THROTTLING)
    _ERROR_TYPE_ORDER = (
        "SERVICE_QUOTA_EXCEEDED",
        "MODEL_NOT_READY",
        "TOO_MANY_TOKENS",
        "INTERNAL_SERVER_ERROR",
        "ON_DEMAND_NOT_SUPPORTED",
        "NOT_FOUND",
        "ACCESS_DENIED",
        "THROTTLING",
    )

    # bedrock.ts: AwsBedrockHandler.getErrorType
    def _get_error_type(self, error: BaseException) -> str:
        """The error type from the status, the exception name or message patterns."""
        metadata = getattr(error, "metadata", None)
        if getattr(error, "status", None) == 429 or (
            isinstance(metadata, dict) and metadata.get("httpStatusCode") == 429
        ):
            return "THROTTLING"
        name = _js_error_name(error)
        if name == "ThrottlingException" or getattr(error, "__type", None) == "ThrottlingException":
            return "THROTTLING"
        if not isinstance(name, str):
            raise JSTypeError("error.name.toLowerCase is not a function")
        error_message = js_error_message(error).lower()
        error_name = name.lower()
        for error_type in self._ERROR_TYPE_ORDER:
            patterns = self.ERROR_TYPES[error_type]["patterns"]
            if any(pattern in error_message or pattern in error_name for pattern in patterns):
                return error_type
        return "GENERIC"

    # bedrock.ts: AwsBedrockHandler.formatErrorMessage
    def _format_error_message(self, error: BaseException, error_type: str, _is_stream_context: bool) -> str:
        """The error type's template with the error's values filled in."""
        template: str = (self.ERROR_TYPES.get(error_type) or self.ERROR_TYPES["GENERIC"])["messageTemplate"]
        model_config = self.get_model()
        template_vars = {
            "errorMessage": js_error_message(error),
            "errorName": _js_error_name(error),
            "modelId": model_config["id"],
            "contextWindow": js_string(model_config["info"].get("contextWindow") or "unknown"),
            # The reference formats the client's region provider (an async function): a Promise.
            "regionInfo": "([object Promise])",
        }
        for key, value in template_vars.items():
            template = _js_replace_all(template, "{" + key + "}", str(value or ""))
        return template

    # bedrock.ts: AwsBedrockHandler.handleBedrockError
    @overload
    def _handle_bedrock_error(self, error: BaseException, is_stream_context: Literal[True]) -> list[dict[str, Any]]: ...

    @overload
    def _handle_bedrock_error(self, error: BaseException, is_stream_context: Literal[False]) -> str: ...

    def _handle_bedrock_error(self, error: BaseException, is_stream_context: bool) -> str | list[dict[str, Any]]:
        """Error chunks (streaming) or the ``Bedrock completion error: …`` text (non-streaming)."""
        error_type = self._get_error_type(error)
        error_message = self._format_error_message(error, error_type, is_stream_context)
        logger.debug(
            "%s error in %s",
            error_type,
            "createMessage" if is_stream_context else "completePrompt",
            extra={"ctx": "bedrock", "errorType": error_type},
        )
        if is_stream_context:
            return [
                {"type": "text", "text": f"Error: {error_message}"},
                {"type": "usage", "inputTokens": 0, "outputTokens": 0},
            ]
        return f"Bedrock completion error: {error_message}"


def _without_none(info: Mapping[str, Any]) -> dict[str, Any]:
    """An object spread whose ``undefined`` members are left out."""
    return {key: value for key, value in info.items() if value is not None}
