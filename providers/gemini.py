"""Gemini handler: port of ``src/api/providers/gemini.ts`` (Roo-Code @ cb83656).

Talks through the @google/genai layer (``providers.sdk.genai``): the Gemini API with an API key,
or Vertex AI with google-auth credentials (``VertexHandler`` in ``vertex.py`` is this handler in
Vertex mode). Thought parts become ``reasoning`` chunks, function calls ``tool_call_partial``
pairs, grounding metadata a ``grounding`` chunk, and usage is priced with the tiered
``calculateCost`` below.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Mapping

from .base_provider import BaseProvider
from .i18n import t
from .js.errors import JSError, JSTypeError, error_message
from .sdk.genai import GoogleGenAI, response_text
from .js.jsonjs import dumps, js_get, js_truthy
from .transform.gemini_format import convert_anthropic_message_to_gemini
from .transform.model_params import get_model_params
from .types.gemini import GEMINI_DEFAULT_MODEL_ID, GEMINI_MODELS
from .utils.safe_json_parse import safe_json_parse


_NO_PROPERTIES: dict[str, Any] = {}
"""What a property read finds on a value that is not a plain object: nothing (undefined)."""


def _coalesce(value: Any, default: Any) -> Any:
    """``value ?? default``."""
    return default if value is None else value


class GeminiHandler(BaseProvider):
    """``GeminiHandler``: ``createMessage``, ``completePrompt``, ``getModel``, ``calculateCost``."""

    provider_name = "Gemini"

    # gemini.ts: constructor
    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__()
        options = dict(options)
        is_vertex = options.pop("isVertex", None)
        self.options = options
        self.last_thought_signature: str | None = None
        self.last_response_id: str | None = None

        project = _coalesce(options.get("vertexProjectId"), "not-provided")
        location = _coalesce(options.get("vertexRegion"), "not-provided")
        api_key = _coalesce(options.get("geminiApiKey"), "not-provided")

        if options.get("vertexJsonCredentials"):
            credentials = safe_json_parse(options["vertexJsonCredentials"])
            self.client = GoogleGenAI(
                {
                    "vertexai": True,
                    "project": project,
                    "location": location,
                    "googleAuthOptions": {"credentials": credentials},
                }
            )
        elif options.get("vertexKeyFile"):
            self.client = GoogleGenAI(
                {
                    "vertexai": True,
                    "project": project,
                    "location": location,
                    "googleAuthOptions": {"keyFile": options["vertexKeyFile"]},
                }
            )
        elif is_vertex:
            self.client = GoogleGenAI({"vertexai": True, "project": project, "location": location})
        else:
            self.client = GoogleGenAI({"apiKey": api_key})

    # gemini.ts: GeminiHandler.createMessage
    async def create_message(
        self,
        system_prompt: str,
        messages: list[dict[str, Any]],
        metadata: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Stream a reply as text / reasoning / tool_call_partial / grounding / usage chunks."""
        model_params = self.get_model()
        model = model_params["id"]
        info = model_params["info"]
        thinking_config = model_params.get("reasoning")
        max_tokens = model_params.get("maxTokens")
        # Reset per-request metadata that is persisted into the API history.
        self.last_thought_signature = None
        self.last_response_id = None

        # Hybrid (budget) reasoning models honour modelMaxTokens; others use the computed maxTokens.
        is_hybrid = info.get("supportsReasoningBudget") or info.get("requiredReasoningBudget")
        max_output_tokens = _coalesce(self.options.get("modelMaxTokens"), max_tokens) if is_hybrid else max_tokens

        tools_meta = (metadata or {}).get("tools")
        # Gemini 3 validates thought signatures on tool calls: round-trip them when tools are in use.
        include_thought_signatures = thinking_config is not None or bool(tools_meta)

        # Provider-specific meta entries ({type: "reasoning"}) are not messages for Gemini.
        gemini_messages = [m for m in messages if not (isinstance(m, dict) and m.get("type") == "reasoning")]

        # tool_result blocks carry only the id; Gemini needs the name.
        tool_id_to_name: dict[Any, Any] = {}
        for message in messages:
            content = message.get("content")
            if isinstance(content, list):
                for block in content:
                    if isinstance(block, dict) and block.get("type") == "tool_use":
                        tool_id_to_name[block.get("id")] = block.get("name")

        contents: list[dict[str, Any]] = []
        for message in gemini_messages:
            contents.extend(
                convert_anthropic_message_to_gemini(
                    message, include_thought_signatures=include_thought_signatures, tool_id_to_name=tool_id_to_name
                )
            )

        # Function declarations always (built-in tools cannot be mixed with them).
        tools = [{"functionDeclarations": [_function_declaration(tool) for tool in (tools_meta or [])]}]

        config: dict[str, Any] = {"systemInstruction": system_prompt}
        if self.options.get("googleGeminiBaseUrl"):
            config["httpOptions"] = {"baseUrl": self.options["googleGeminiBaseUrl"]}
        if thinking_config is not None:
            config["thinkingConfig"] = thinking_config
        if max_output_tokens is not None:
            config["maxOutputTokens"] = max_output_tokens
        temperature = self._temperature(info)
        if temperature is not None:
            config["temperature"] = temperature
        config["tools"] = tools

        tool_config = _tool_config(metadata)
        if tool_config is not None:
            config["toolConfig"] = tool_config

        params = {"model": model, "contents": contents, "config": config}

        stream = None
        try:
            stream = await self.client.models.generate_content_stream(params)

            last_usage_metadata: Any = None
            pending_grounding_metadata: Any = None
            final_response: Any = None
            tool_call_counter = 0

            async for chunk in stream:
                candidates = chunk.get("candidates")
                if isinstance(candidates, list) and candidates:
                    candidate = candidates[0]
                    # candidate?.[key] (and part?.[key] below): a plain object's value, else undefined
                    candidate_get = candidate.get if isinstance(candidate, dict) else _NO_PROPERTIES.get
                    finish_reason = candidate_get("finishReason")
                    if finish_reason is not None and js_truthy(finish_reason):
                        final_response = chunk
                    if candidate is None:
                        raise JSTypeError("Cannot read properties of null (reading 'groundingMetadata')")
                    grounding_metadata = candidate_get("groundingMetadata")
                    if grounding_metadata is not None and js_truthy(grounding_metadata):
                        pending_grounding_metadata = grounding_metadata
                    candidate_content = candidate_get("content")
                    # `candidate.content && candidate.content.parts`: parts are only found on an
                    # object (truthy), and a list (truthy) is the one value they iterate as
                    parts = candidate_content.get("parts") if isinstance(candidate_content, dict) else None
                    if not isinstance(parts, list) and parts is not None and js_truthy(parts):
                        raise JSTypeError("candidate.content.parts is not iterable")
                    if isinstance(parts, list):
                        for part in parts:
                            if part is None:
                                raise JSTypeError("Cannot read properties of null (reading 'thoughtSignature')")
                            part_get = part.get if isinstance(part, dict) else _NO_PROPERTIES.get
                            thought_signature = part_get("thoughtSignature")
                            if include_thought_signatures and js_truthy(thought_signature):
                                self.last_thought_signature = thought_signature
                            thought = part_get("thought")
                            function_call = part_get("functionCall")
                            if thought is not None and js_truthy(thought):
                                text = part_get("text")
                                if js_truthy(text):
                                    yield {"type": "reasoning", "text": text}
                            elif function_call is not None and js_truthy(function_call):
                                # Complete calls arrive in one part: a name chunk, then an arguments chunk.
                                name = js_get(function_call, "name")
                                call_id = f"{'undefined' if name is None else name}-{tool_call_counter}"
                                name_chunk: dict[str, Any] = {"type": "tool_call_partial", "index": tool_call_counter, "id": call_id}
                                if isinstance(function_call, dict) and "name" in function_call:
                                    name_chunk["name"] = name
                                yield name_chunk
                                args_chunk: dict[str, Any] = {"type": "tool_call_partial", "index": tool_call_counter, "id": call_id}
                                if isinstance(function_call, dict) and "args" in function_call:
                                    args_chunk["arguments"] = dumps(function_call["args"])
                                yield args_chunk
                                tool_call_counter += 1
                            else:
                                text = part_get("text")
                                if js_truthy(text):
                                    yield {"type": "text", "text": text}
                else:
                    # The `text` getter, for a response without candidates.
                    text = response_text(chunk)
                    if text:
                        yield {"type": "text", "text": text}

                usage_metadata = chunk.get("usageMetadata")
                if usage_metadata is not None and js_truthy(usage_metadata):
                    last_usage_metadata = usage_metadata

            if final_response is not None and js_truthy(final_response.get("responseId")):
                self.last_response_id = final_response["responseId"]

            if pending_grounding_metadata is not None:
                sources = self._extract_grounding_sources(pending_grounding_metadata)
                if sources:
                    yield {"type": "grounding", "sources": sources}

            if last_usage_metadata is not None:
                yield self._usage_chunk(info, last_usage_metadata)
        except Exception as error:
            raise JSError(t("common:errors.gemini.generate_stream", {"error": error_message(error)})) from error
        finally:
            if stream is not None:
                await stream.aclose()

    def _temperature(self, info: Mapping[str, Any]) -> Any:
        """The model's pinned temperature, or the user's, the model default, then 1."""
        if info.get("supportsTemperature") is not False:
            return _coalesce(self.options.get("modelTemperature"), _coalesce(info.get("defaultTemperature"), 1))
        return info.get("defaultTemperature")

    def _usage_chunk(self, info: Mapping[str, Any], usage: Any) -> dict[str, Any]:
        input_tokens = _coalesce(js_get(usage, "promptTokenCount"), 0)
        output_tokens = _coalesce(js_get(usage, "candidatesTokenCount"), 0)
        chunk: dict[str, Any] = {"type": "usage", "inputTokens": input_tokens, "outputTokens": output_tokens}
        cost_args: dict[str, Any] = {}
        if isinstance(usage, dict) and "cachedContentTokenCount" in usage:
            chunk["cacheReadTokens"] = cost_args["cache_read_tokens"] = usage["cachedContentTokenCount"]
        if isinstance(usage, dict) and "thoughtsTokenCount" in usage:
            chunk["reasoningTokens"] = cost_args["reasoning_tokens"] = usage["thoughtsTokenCount"]
        total_cost = self.calculate_cost(info=info, input_tokens=input_tokens, output_tokens=output_tokens, **cost_args)
        if total_cost is not None:
            chunk["totalCost"] = total_cost
        return chunk

    # gemini.ts: GeminiHandler.getModel
    def get_model(self) -> dict[str, Any]:
        """The model id (``:thinking`` suffix dropped), its info and the resolved parameters."""
        return resolve_model(self.options, GEMINI_MODELS, GEMINI_DEFAULT_MODEL_ID)

    # gemini.ts: GeminiHandler.extractGroundingSources
    @staticmethod
    def _extract_grounding_sources(grounding_metadata: Any) -> list[dict[str, Any]]:
        chunks = js_get(grounding_metadata, "groundingChunks")
        if not js_truthy(chunks):
            return []
        if not isinstance(chunks, list):
            raise JSTypeError("chunks.map is not a function")
        sources = []
        for chunk in chunks:
            web = js_get(chunk, "web")
            uri = js_get(web, "uri")
            title = js_get(web, "title")
            if js_truthy(uri):
                sources.append({"title": title if js_truthy(title) else uri, "url": uri})
        return sources

    # gemini.ts: GeminiHandler.extractCitationsOnly
    def _extract_citations_only(self, grounding_metadata: Any) -> str | None:
        sources = self._extract_grounding_sources(grounding_metadata)
        if not sources:
            return None
        return ", ".join(f"[{i + 1}]({source['url']})" for i, source in enumerate(sources))

    # gemini.ts: GeminiHandler.completePrompt
    async def complete_prompt(self, prompt: str) -> str:
        """One non-streaming ``generateContent``; grounding citations appended as ``Sources:``."""
        model_params = self.get_model()
        model = model_params["id"]
        info = model_params["info"]
        try:
            prompt_config: dict[str, Any] = {}
            if self.options.get("googleGeminiBaseUrl"):
                prompt_config["httpOptions"] = {"baseUrl": self.options["googleGeminiBaseUrl"]}
            temperature = self._temperature(info)
            if temperature is not None:
                prompt_config["temperature"] = temperature
            request = {"model": model, "contents": [{"role": "user", "parts": [{"text": prompt}]}], "config": prompt_config}

            result = await self.client.models.generate_content(request)

            text = response_text(result)
            text = "" if text is None else text
            candidates = result.get("candidates")
            candidate = candidates[0] if isinstance(candidates, list) and candidates else None
            grounding_metadata = js_get(candidate, "groundingMetadata")
            if js_truthy(grounding_metadata):
                citations = self._extract_citations_only(grounding_metadata)
                if citations:
                    text += f"\n\n{t('common:errors.gemini.sources')} {citations}"
            return text
        except Exception as error:
            raise JSError(
                t("common:errors.gemini.generate_complete_prompt", {"error": error_message(error)})
            ) from error

    # gemini.ts: getThoughtSignature / getResponseId
    def get_thought_signature(self) -> str | None:
        return self.last_thought_signature

    def get_response_id(self) -> str | None:
        return self.last_response_id

    # gemini.ts: GeminiHandler.calculateCost
    def calculate_cost(
        self,
        *,
        info: Mapping[str, Any],
        input_tokens: Any,
        output_tokens: Any,
        cache_read_tokens: Any = 0,
        reasoning_tokens: Any = 0,
    ) -> float | None:
        """Tiered price by input size; thoughts billed as output; cache reads at their price."""
        input_price = info.get("inputPrice")
        output_price = info.get("outputPrice")
        cache_reads_price = info.get("cacheReadsPrice")

        tiers = info.get("tiers")
        if tiers:
            tier = next((tier for tier in tiers if input_tokens <= tier["contextWindow"]), None)
            if tier is not None:
                input_price = _coalesce(tier.get("inputPrice"), input_price)
                output_price = _coalesce(tier.get("outputPrice"), output_price)
                cache_reads_price = _coalesce(tier.get("cacheReadsPrice"), cache_reads_price)

        if not input_price or not output_price:
            return None
        if not cache_reads_price:
            cache_reads_price = 0

        cache_read_tokens = cache_read_tokens or 0  # null counts as 0 in the arithmetic
        reasoning_tokens = reasoning_tokens or 0
        uncached_input_tokens = input_tokens - cache_read_tokens
        billed_output_tokens = output_tokens + reasoning_tokens
        cache_read_cost = cache_reads_price * (cache_read_tokens / 1_000_000) if cache_read_tokens > 0 else 0
        input_tokens_cost = input_price * (uncached_input_tokens / 1_000_000)
        output_tokens_cost = output_price * (billed_output_tokens / 1_000_000)
        total_cost: float = input_tokens_cost + output_tokens_cost + cache_read_cost
        return total_cost


def _function_declaration(tool: Any) -> dict[str, Any]:
    """``{name, description, parametersJsonSchema}`` from an OpenAI-style tool definition."""
    function = tool.get("function") if isinstance(tool, dict) else None
    if function is None:
        raise JSTypeError("Cannot read properties of undefined (reading 'name')")
    declaration: dict[str, Any] = {}
    for key, target in (("name", "name"), ("description", "description"), ("parameters", "parametersJsonSchema")):
        if key in function:
            declaration[target] = function[key]
    return declaration


def _tool_config(metadata: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``toolConfig`` from ``allowedFunctionNames`` (mode restrictions) or ``tool_choice``."""
    metadata = metadata or {}
    allowed = metadata.get("allowedFunctionNames")
    if allowed:
        return {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": allowed}}
    choice = metadata.get("tool_choice")
    if not js_truthy(choice):
        return None
    allowed_names: list[Any] | None = None
    if choice == "auto":
        mode = "AUTO"
    elif choice == "none":
        mode = "NONE"
    elif choice == "required":
        mode = "ANY"
    elif isinstance(choice, dict) and "function" in choice and choice.get("type") == "function":
        mode = "ANY"
        allowed_names = [js_get(choice["function"], "name")]
    else:
        mode = "AUTO"  # unknown values must not broaden tool access
    calling_config: dict[str, Any] = {"mode": mode}
    if allowed_names is not None:
        calling_config["allowedFunctionNames"] = allowed_names
    return {"functionCallingConfig": calling_config}


def resolve_model(options: Mapping[str, Any], models: Mapping[str, Any], default_id: str) -> dict[str, Any]:
    """``getModel`` of gemini.ts / vertex.ts: the same steps over their own tables."""
    model_id = options.get("apiModelId")
    model_key = model_id if model_id and model_id in models else default_id
    info: dict[str, Any] = models[model_key]
    default_temperature = _coalesce(info.get("defaultTemperature"), 1)
    params = get_model_params(
        format="gemini", model_id=model_key, model=info, settings=options, default_temperature=default_temperature
    )
    # Gemini models do better with the edit tool than with apply_diff.
    info = {
        **info,
        "excludedTools": list(dict.fromkeys([*(info.get("excludedTools") or []), "apply_diff"])),
        "includedTools": list(dict.fromkeys([*(info.get("includedTools") or []), "edit"])),
    }
    # The `:thinking` suffix marks a hybrid model that requires reasoning; the API's id lacks it.
    model_name = model_key.replace(":thinking", "", 1) if model_key.endswith(":thinking") else model_key
    return {"id": model_name, "info": info, **params}
