"""Port of ``src/api/providers/fetchers/modelEndpointCache.ts`` (Roo-Code @ cb83656).

A model's endpoints (the providers OpenRouter routes it to), cached in memory for 5 minutes under
``sanitize("<router>_<model id>")`` and written to the disk cache when ``model_cache``'s cache
directory is set. Every process starts empty; ``reset`` empties the memory cache again.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Final

from ..js.jsonjs import loads
from . import model_cache
from .model_cache import ModelRecord, get_models, safe_write_json
from .node_cache import NodeCache
from .openrouter import get_open_router_model_endpoints

logger = logging.getLogger(__name__)

MEMORY_CACHE_TTL_S: Final = 5 * 60

_memory_cache = NodeCache(std_ttl=MEMORY_CACHE_TTL_S)

# sanitize-filename 1.6.3 (replacement ""), then truncate-utf8-bytes to 255 bytes
_ILLEGAL = re.compile(r'[/?<>\\:*|"]')
_CONTROL = re.compile(r"[\x00-\x1f\x80-\x9f]")
_RESERVED = re.compile(r"^\.+\Z")
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?\Z", re.IGNORECASE)
_WINDOWS_TRAILING = re.compile(r"[. ]+\Z")
_MAX_FILENAME_BYTES: Final = 255


def reset() -> None:
    """Empty the memory cache (the disk cache is left alone)."""
    _memory_cache.flush_all()


def sanitize_filename(value: str) -> str:
    """npm ``sanitize-filename``: a string safe as a file name on every platform."""
    for pattern in (_ILLEGAL, _CONTROL, _RESERVED, _WINDOWS_RESERVED, _WINDOWS_TRAILING):
        value = pattern.sub("", value)
    return value.encode("utf-8")[:_MAX_FILENAME_BYTES].decode("utf-8", "ignore")


# modelEndpointCache.ts: getCacheKey
def _get_cache_key(router: str, model_id: str) -> str:
    return sanitize_filename(f"{router}_{model_id}")


# modelEndpointCache.ts: writeModelEndpoints
async def _write_model_endpoints(key: str, data: ModelRecord) -> None:
    directory = model_cache.get_cache_directory()
    if directory is None:
        return
    await safe_write_json(directory / f"{key}_endpoints.json", data)


# modelEndpointCache.ts: readModelEndpoints
def _read_model_endpoints(key: str) -> ModelRecord | None:
    directory = model_cache.get_cache_directory()
    if directory is None:
        return None
    file_path = directory / f"{key}_endpoints.json"
    return loads(file_path.read_text(encoding="utf-8")) if file_path.exists() else None


# modelEndpointCache.ts: getModelEndpoints
async def get_model_endpoints(*, router: str, model_id: str | None = None, endpoint: str | None = None) -> ModelRecord:
    """The endpoints of ``model_id`` keyed by provider, with the model-level capabilities copied
    from the model list; ``{}`` unless an OpenRouter model and an endpoint are given."""
    # OpenRouter is the only router with model endpoints
    if router != "openrouter" or not model_id or not endpoint:
        return {}

    key = _get_cache_key(router, model_id)
    cached: ModelRecord | None = _memory_cache.get(key)
    if cached is not None:
        return cached

    model_providers = await get_open_router_model_endpoints(model_id)

    # what does not vary by provider (tools, reasoning) comes from the parent model
    if len(model_providers) > 0:
        parent_models = await get_models({"provider": "openrouter"})
        parent_model = parent_models.get(model_id)
        if parent_model is not None:
            for endpoint_info in model_providers.values():
                _assign(endpoint_info, "supportsReasoningEffort", parent_model.get("supportsReasoningEffort"))
                supported_parameters = parent_model.get("supportedParameters")
                _assign(endpoint_info, "supportedParameters", list(supported_parameters) if supported_parameters is not None else None)

    if len(model_providers) > 0:
        _memory_cache.set(key, model_providers)
        try:
            await _write_model_endpoints(key, model_providers)
        except Exception as error:
            logger.error("[getModelProviders] error writing %s endpoints to file cache: %s", key, error)
        return model_providers

    try:
        # the reference reads the file named after the router here, not after the key
        from_file = _read_model_endpoints(router)
    except Exception as error:
        logger.error("[getModelProviders] error reading %s endpoints from file cache: %s", key, error)
        return model_providers

    return from_file if from_file is not None else {}


def _assign(target: dict[str, Any], key: str, value: Any) -> None:
    """``target[key] = value``, an ``undefined`` value leaving the key out."""
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value


# modelEndpointCache.ts: flushModelProviders
def flush_model_providers(router: str, model_id: str) -> None:
    _memory_cache.delete(_get_cache_key(router, model_id))
