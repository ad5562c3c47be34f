"""Router model lists and their caches: ``src/api/providers/fetchers/*.ts``.

The caches are process-wide, as in the reference, and start empty. ``reset_caches()`` empties
them (each reference run behind the goldens was a fresh Node process, so a harness running
scenarios in one process calls it before each); ``set_cache_directory(path)`` turns on the disk
cache, which is off by default.
"""

from __future__ import annotations

from . import model_cache, model_endpoint_cache
from .model_cache import set_cache_directory

__all__ = ["reset_caches", "set_cache_directory"]


def reset_caches() -> None:
    """Empty the in-memory model and model endpoint caches and forget refreshes under way."""
    model_cache.reset()
    model_endpoint_cache.reset()
