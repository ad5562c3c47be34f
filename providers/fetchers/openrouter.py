"""Port of ``src/api/providers/fetchers/openrouter.ts`` (Roo-Code @ cb83656).

OpenRouter's model list (``GET <base>/models``) and a model's endpoints (``GET
<base>/models/<id>/endpoints``), fetched with axios and turned into ModelInfo records. Neither
function raises: a failed fetch is logged and whatever was parsed so far (usually ``{}``) is
returned. A response that fails the reference's zod schema is logged and read as it is, with
JavaScript's rules: a ``null`` field is a value (kept in the ModelInfo, ``0`` in arithmetic), a
missing one is ``undefined`` (left out, ``NaN`` in arithmetic), and record keys are ``String(key)``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any, Final

from ..sdk import axios
from ..js import zod as z
from ..js.errors import JSTypeError
from ..js.jsonjs import UNDEFINED, js_get, js_string, js_to_number, js_truthy
from ..types.anthropic import ANTHROPIC_MODELS
from ..types.model import is_model_parameter
from ..types.openrouter import OPEN_ROUTER_REASONING_BUDGET_MODELS, OPEN_ROUTER_REQUIRED_REASONING_BUDGET_MODELS
from ..utils.cost import parse_api_price

logger = logging.getLogger(__name__)

OPEN_ROUTER_BASE_URL: Final = "https://openrouter.ai/api/v1"

_N, _O, _R = z.NULLISH, z.OPTIONAL, z.REQUIRED

_ARCHITECTURE = z.object_(
    {
        "input_modalities": (z.array(z.string), _N),
        "output_modalities": (z.array(z.string), _N),
        "tokenizer": (z.string, _N),
    }
)

_PRICING = z.object_(
    {
        "prompt": (z.string, _N),
        "completion": (z.string, _N),
        "input_cache_write": (z.string, _N),
        "input_cache_read": (z.string, _N),
    }
)

# modelRouterBaseModelSchema (OpenRouterBaseModel)
_BASE_MODEL_SHAPE = {
    "name": (z.string, _R),
    "description": (z.string, _O),
    "context_length": (z.number, _R),
    "max_completion_tokens": (z.number, _N),
    "pricing": (_PRICING, _O),
}

# openRouterModelSchema (OpenRouterModel)
OPEN_ROUTER_MODEL_SCHEMA: Final = z.object_(
    z.extend(
        _BASE_MODEL_SHAPE,
        id=(z.string, _R),
        architecture=(_ARCHITECTURE, _O),
        top_provider=(z.object_({"max_completion_tokens": (z.number, _N)}), _O),
        supported_parameters=(z.array(z.string), _O),
    )
)

# openRouterModelEndpointSchema (OpenRouterModelEndpoint)
OPEN_ROUTER_MODEL_ENDPOINT_SCHEMA: Final = z.object_(
    z.extend(_BASE_MODEL_SHAPE, provider_name=(z.string, _R), tag=(z.string, _O))
)

_MODELS_RESPONSE = z.object_({"data": (z.array(OPEN_ROUTER_MODEL_SCHEMA), _R)})

_MODEL_ENDPOINTS_RESPONSE = z.object_(
    {
        "data": (
            z.object_(
                {
                    "id": (z.string, _R),
                    "name": (z.string, _R),
                    "description": (z.string, _O),
                    "architecture": (_ARCHITECTURE, _O),
                    "supported_parameters": (z.array(z.string), _O),
                    "endpoints": (z.array(OPEN_ROUTER_MODEL_ENDPOINT_SCHEMA), _R),
                }
            ),
            _R,
        )
    }
)

_ABSENT: Final[Any] = object()


def _outputs_images(architecture: Any) -> bool:
    """``architecture?.output_modalities?.includes("image")``."""
    return _includes(js_get(architecture, "output_modalities"), "image") is True


def _includes(value: Any, item: str) -> Any:
    """``value?.includes(item)``: an array's or a string's; ``UNDEFINED`` for null or undefined;
    V8's TypeError for a value without ``includes``."""
    if value is None or value is UNDEFINED:
        return UNDEFINED
    if isinstance(value, (list, str)):
        return item in value
    raise JSTypeError("value.includes is not a function")


def _fields(value: Any) -> dict[str, Any]:
    """What destructuring ``value`` reads: V8's TypeError for null or undefined; a primitive has
    none of the fields."""
    if value is None or value is UNDEFINED:
        raise JSTypeError(f"Cannot destructure '{js_string(value)}' as it is {js_string(value)}.")
    return value if isinstance(value, dict) else {}


def _property_key(value: Any) -> str:
    """``String(key)``: the key a JS object stores a value under."""
    return "undefined" if value is UNDEFINED else js_string(value)


# openrouter.ts: getOpenRouterModels
async def get_open_router_models(options: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Every model of ``GET <base>/models`` but the image generators, keyed by id."""
    models: dict[str, dict[str, Any]] = {}
    base_url = (options or {}).get("openRouterBaseUrl") or OPEN_ROUTER_BASE_URL

    try:
        response = await axios.get(f"{base_url}/models")
        success, parsed = z.safe_parse(_MODELS_RESPONSE, response.data)
        data = parsed["data"] if success else js_get(response.data, "data")

        if not success:
            logger.error("OpenRouter models response is invalid")

        for item in data:
            model = _fields(item)
            model_id = model.get("id", UNDEFINED)
            architecture = model.get("architecture")
            top_provider = model.get("top_provider")
            supported_parameters = model.get("supported_parameters", _ABSENT)
            if supported_parameters is _ABSENT:
                supported_parameters = []

            # image generation models (that output images) are left out
            if _outputs_images(architecture):
                continue

            models[_property_key(model_id)] = parse_open_router_model(
                model_id=model_id,
                model=model,
                input_modality=js_get(architecture, "input_modalities"),
                output_modality=js_get(architecture, "output_modalities"),
                max_tokens=js_get(top_provider, "max_completion_tokens"),
                supported_parameters=supported_parameters,
            )
    except Exception as error:  # the reference logs any failure and returns what it has
        logger.error("Error fetching OpenRouter models: %s", _describe(error))

    return models


# openrouter.ts: getOpenRouterModelEndpoints
async def get_open_router_model_endpoints(
    model_id: str, options: Mapping[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """The endpoints (providers) of one model, keyed by tag or provider name."""
    models: dict[str, dict[str, Any]] = {}
    base_url = (options or {}).get("openRouterBaseUrl") or OPEN_ROUTER_BASE_URL

    try:
        response = await axios.get(f"{base_url}/models/{model_id}/endpoints")
        success, parsed = z.safe_parse(_MODEL_ENDPOINTS_RESPONSE, response.data)
        data = parsed["data"] if success else js_get(response.data, "data")

        if not success:
            logger.error("OpenRouter model endpoints response is invalid")

        endpoint_model_id = data.get("id")
        architecture = data.get("architecture")
        endpoints = data.get("endpoints")

        # image generation models (that output images) are left out
        if _outputs_images(architecture):
            return models

        for item in endpoints:
            endpoint = _fields(item)
            tag = endpoint.get("tag", UNDEFINED)
            key = endpoint.get("provider_name", UNDEFINED) if tag is None or tag is UNDEFINED else tag
            models[_property_key(key)] = parse_open_router_model(
                model_id=endpoint_model_id,
                model=endpoint,
                input_modality=js_get(architecture, "input_modalities"),
                output_modality=js_get(architecture, "output_modalities"),
                max_tokens=endpoint.get("max_completion_tokens", UNDEFINED),
            )
    except Exception as error:  # the reference logs any failure and returns what it has
        logger.error("Error fetching OpenRouter model endpoints: %s", _describe(error))

    return models


def _describe(error: BaseException) -> str:
    """The error's name, message and code for the log (the reference logs its own properties)."""
    name = getattr(error, "name", type(error).__name__)
    code = getattr(error, "code", None)
    message = getattr(error, "message", None) or str(error)
    return f"{name}: {message}" + (f" ({code})" if code else "")


# openrouter.ts: parseOpenRouterModel
def parse_open_router_model(
    *,
    model_id: Any,
    model: Mapping[str, Any],
    input_modality: Any,
    output_modality: Any,
    max_tokens: Any,
    supported_parameters: Any = None,
) -> dict[str, Any]:
    """One model (or endpoint) of the API as ModelInfo, with the reference's per-model fixes."""
    pricing = model.get("pricing")
    input_cache_write = js_get(pricing, "input_cache_write")
    input_cache_read = js_get(pricing, "input_cache_read")
    cache_writes_price = _price(input_cache_write) if js_truthy(input_cache_write) else UNDEFINED
    cache_reads_price = _price(input_cache_read) if js_truthy(input_cache_read) else UNDEFINED

    # some models cache without charging for cache writes (e.g. GPT-5)
    supports_prompt_cache = cache_reads_price is not UNDEFINED

    context_length: Any = model.get("context_length", UNDEFINED)
    supports_images = _includes(input_modality, "image")
    model_info: dict[str, Any] = {
        "maxTokens": max_tokens if js_truthy(max_tokens) else _ceil_fifth(context_length),
        "contextWindow": context_length,
        "supportsImages": False if supports_images is UNDEFINED else supports_images,
        "supportsPromptCache": supports_prompt_cache,
        "inputPrice": _price(js_get(pricing, "prompt")),
        "outputPrice": _price(js_get(pricing, "completion")),
        "cacheWritesPrice": cache_writes_price,
        "cacheReadsPrice": cache_reads_price,
        "description": model.get("description", UNDEFINED),
        "supportsReasoningEffort": (
            _includes(supported_parameters, "reasoning") if js_truthy(supported_parameters) else UNDEFINED
        ),
        "supportedParameters": _model_parameters(supported_parameters) if js_truthy(supported_parameters) else UNDEFINED,
    }
    model_info = {key: value for key, value in model_info.items() if value is not UNDEFINED}

    # (Set.has: only a string id can be in these sets)
    if isinstance(model_id, str) and model_id in OPEN_ROUTER_REASONING_BUDGET_MODELS:
        model_info["supportsReasoningBudget"] = True

    if isinstance(model_id, str) and model_id in OPEN_ROUTER_REQUIRED_REASONING_BUDGET_MODELS:
        model_info["requiredReasoningBudget"] = True

    # backwards compatibility with the old model definitions: extended thinking stays off for
    # anthropic/claude-3.7-sonnet and is forced for anthropic/claude-3.7-sonnet:thinking
    if model_id == "anthropic/claude-3.7-sonnet":
        model_info["maxTokens"] = ANTHROPIC_MODELS["claude-3-7-sonnet-20250219"]["maxTokens"]
        model_info["supportsReasoningBudget"] = False
        model_info["supportsReasoningEffort"] = False

    if model_id == "anthropic/claude-3.7-sonnet:thinking":
        model_info["maxTokens"] = ANTHROPIC_MODELS["claude-3-7-sonnet-20250219:thinking"]["maxTokens"]

    if model_id == "anthropic/claude-sonnet-4.6":
        model_info["maxTokens"] = ANTHROPIC_MODELS["claude-sonnet-4-6"]["maxTokens"]

    if model_id == "anthropic/claude-opus-4.1":
        model_info["maxTokens"] = ANTHROPIC_MODELS["claude-opus-4-1-20250805"]["maxTokens"]

    if model_id == "anthropic/claude-opus-4.5":
        model_info["maxTokens"] = ANTHROPIC_MODELS["claude-opus-4-5-20251101"]["maxTokens"]

    if model_id == "anthropic/claude-opus-4.6":
        model_info["maxTokens"] = ANTHROPIC_MODELS["claude-opus-4-6"]["maxTokens"]

    # Claude Haiku 4.5: budget control, no effort-based reasoning fallback
    if model_id == "anthropic/claude-haiku-4.5":
        model_info["supportsReasoningBudget"] = True
        model_info["supportsReasoningEffort"] = False

    if model_id == "openrouter/horizon-alpha":
        model_info["maxTokens"] = 32768

    if model_id == "openrouter/horizon-beta":
        model_info["maxTokens"] = 32768

    return model_info


def _price(price: Any) -> Any:
    """``parseApiPrice(price)``, ``UNDEFINED`` where it is undefined."""
    parsed = parse_api_price(price)
    return UNDEFINED if parsed is None else parsed


def _ceil_fifth(context_length: Any) -> float | int:
    """``Math.ceil(context_length * 0.2)``: null counts as 0, undefined as NaN (kept)."""
    value = js_to_number(context_length) * 0.2
    return math.ceil(value) if math.isfinite(value) else value


def _model_parameters(supported_parameters: Any) -> list[Any]:
    """``supportedParameters.filter(isModelParameter)`` (V8's TypeError for a non-array)."""
    if not isinstance(supported_parameters, list):
        raise JSTypeError("supportedParameters.filter is not a function")
    return [p for p in supported_parameters if is_model_parameter(p)]
