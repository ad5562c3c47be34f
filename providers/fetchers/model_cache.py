"""Port of ``src/api/providers/fetchers/modelCache.ts`` (Roo-Code @ cb83656).

Two caches of each router's model list: in memory (node-cache, 5 minutes) and on disk
(``<cache directory>/<router>_models.json``). The disk cache lives in the extension's global
storage in the reference; here it is off until ``set_cache_directory`` names a directory (the
reference's ``getCacheDirectoryPath()``), which is how the reference behaves when that storage is
not set up (its reads and writes then fail and are logged). Of the routers, this port fetches
OpenRouter's list only.

Every process starts with empty caches; ``reset`` empties them again (a fresh start for tests
and harness runs, as each reference run was a new Node process). Not ported: ``readModels``
(unused in the reference), ``initializeModelCacheRefresh`` (the extension's activation) and
``getCacheDirectoryPathSync`` (the configured directory takes its place).
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from .. import NotPortedError
from ..js import zod as z
from ..js.jsonjs import dumps, loads
from ..types.model import MODEL_INFO_SCHEMA
from .node_cache import NodeCache
from .openrouter import get_open_router_models

logger = logging.getLogger(__name__)

ModelRecord = dict[str, dict[str, Any]]

MEMORY_CACHE_TTL_S: Final = 5 * 60

_memory_cache = NodeCache(std_ttl=MEMORY_CACHE_TTL_S)

# modelRecordSchema: what a disk cache file must hold
MODEL_RECORD_SCHEMA: Final = z.record(MODEL_INFO_SCHEMA)

# refreshes under way, one per router, so that concurrent refreshes share one fetch
_in_flight_refresh: dict[str, asyncio.Future[ModelRecord]] = {}

_cache_directory: Path | None = None


def set_cache_directory(directory: str | os.PathLike[str] | None) -> None:
    """Turn the disk cache on (files go to ``directory``, created when needed) or off (``None``).

    It is shared by the model and model endpoint caches.
    """
    global _cache_directory
    _cache_directory = Path(directory) if directory is not None else None


def get_cache_directory() -> Path | None:
    """The disk cache's directory, or ``None`` when the disk cache is off."""
    return _cache_directory


def reset() -> None:
    """Empty the memory cache and forget refreshes under way (the disk cache is left alone)."""
    _memory_cache.flush_all()
    _in_flight_refresh.clear()


async def safe_write_json(file_path: Path, data: Any) -> None:
    """``safeWriteJson``: the JSON written to a temporary file beside the target, then moved
    over it in one step, so readers see the old file or the new one, never half of one."""

    def write() -> None:
        file_path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_path = tempfile.mkstemp(prefix=f".{file_path.name}.new_", suffix=".tmp", dir=file_path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(dumps(data))
            os.replace(temp_path, file_path)
        except BaseException:
            Path(temp_path).unlink(missing_ok=True)
            raise

    await asyncio.to_thread(write)


# modelCache.ts: writeModels
async def _write_models(router: str, data: ModelRecord) -> None:
    if _cache_directory is None:
        return
    await safe_write_json(_cache_directory / f"{router}_models.json", data)


# modelCache.ts: fetchModelsFromProvider
async def _fetch_models_from_provider(options: Mapping[str, Any]) -> ModelRecord:
    """The router's model list, fresh from its API."""
    provider = options["provider"]
    if provider == "openrouter":
        return await get_open_router_models()
    raise NotPortedError(provider)


# modelCache.ts: getModels
async def get_models(options: Mapping[str, Any]) -> ModelRecord:
    """The router's models from the memory or disk cache, else fetched (and cached when the
    list is not empty: an empty one may be a failed request)."""
    provider = options["provider"]

    models = get_models_from_cache(provider)
    if models is not None:
        return models

    try:
        models = await _fetch_models_from_provider(options)
        if len(models) > 0:
            _memory_cache.set(provider, models)
            try:
                await _write_models(provider, models)
            except Exception as err:
                logger.error("[MODEL_CACHE] Error writing %s models to file cache: %s", provider, err)
        return models
    except Exception as error:
        logger.error("[getModels] Failed to fetch models in modelCache for %s: %s", provider, error)
        raise


# modelCache.ts: refreshModels
async def refresh_models(options: Mapping[str, Any]) -> ModelRecord:
    """Fetch the router's models past the cache; an empty or failed fetch keeps (and returns)
    what the cache had. Concurrent calls for one router share one fetch."""
    provider = options["provider"]

    existing_request = _in_flight_refresh.get(provider)
    if existing_request is not None:
        return await existing_request

    async def refresh() -> ModelRecord:
        try:
            models = await _fetch_models_from_provider(options)
            existing_cache = get_models_from_cache(provider)
            existing_count = len(existing_cache) if existing_cache is not None else 0

            if len(models) == 0:
                return existing_cache if existing_cache is not None and existing_count > 0 else {}

            _memory_cache.set(provider, models)
            try:
                await _write_models(provider, models)
            except Exception as err:
                logger.error("[refreshModels] Error writing %s models to disk: %s", provider, err)
            return models
        except Exception as error:
            logger.error("[refreshModels] Failed to refresh %s models: %s", provider, error)
            cached = get_models_from_cache(provider)
            return cached if cached is not None else {}
        finally:
            _in_flight_refresh.pop(provider, None)

    refresh_task = asyncio.ensure_future(refresh())
    _in_flight_refresh[provider] = refresh_task
    return await refresh_task


# modelCache.ts: flushModels
async def flush_models(options: Mapping[str, Any], refresh: bool = False) -> None:
    """Refresh the router's cached models (``refresh``), or drop them from memory."""
    if refresh:
        # the memory cache stays until the refresh replaces it
        await refresh_models(options)
    else:
        _memory_cache.delete(options["provider"])


# modelCache.ts: getModelsFromCache
def get_models_from_cache(provider: str) -> ModelRecord | None:
    """The router's models from memory, else from the disk cache (then kept in memory), else
    ``None``. A disk file that is not a valid model record is ignored."""
    memory_models: ModelRecord | None = _memory_cache.get(provider)
    if memory_models is not None:
        return memory_models

    if _cache_directory is None:
        return None
    try:
        file_path = _cache_directory / f"{provider}_models.json"
        if file_path.exists():
            success, data = z.safe_parse(MODEL_RECORD_SCHEMA, loads(file_path.read_text(encoding="utf-8")))
            if not success:
                logger.error("[MODEL_CACHE] Invalid disk cache data structure for %s", provider)
                return None
            disk_models: ModelRecord = data
            _memory_cache.set(provider, disk_models)
            return disk_models
    except Exception as error:
        logger.error("[MODEL_CACHE] Error loading %s models from disk: %s", provider, error)
    return None
