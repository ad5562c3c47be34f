"""The in-memory cache the fetchers use: node-cache 5.1.2 as ``new NodeCache({ stdTTL })`` sets it up.

Entries expire ``std_ttl`` seconds after they were set and are dropped when read after that;
values are cloned on the way in and on the way out (node-cache's default ``useClones: true``),
so a caller that changes what it got changes nothing in the cache.
"""

from __future__ import annotations

import time
from typing import Any


def clone(value: Any) -> Any:
    """A deep copy of a JSON-shaped value (dicts, lists, scalars)."""
    if isinstance(value, dict):
        return {key: clone(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clone(item) for item in value]
    return value


class NodeCache:
    """``new NodeCache({ stdTTL, checkperiod })``: ``get``, ``set``, ``del`` and ``flushAll``."""

    def __init__(self, std_ttl: float) -> None:
        self.std_ttl = std_ttl
        self._data: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> Any:
        """The value's clone, or ``None`` when absent or expired (an expired entry is dropped)."""
        entry = self._data.get(key)
        if entry is None:
            return None
        expires_at, value = entry
        if expires_at < time.monotonic():
            del self._data[key]
            return None
        return clone(value)

    def set(self, key: str, value: Any) -> None:
        self._data[key] = (time.monotonic() + self.std_ttl, clone(value))

    def delete(self, key: str) -> None:
        """``del(key)``."""
        self._data.pop(key, None)

    def flush_all(self) -> None:
        """``flushAll()``: every entry gone."""
        self._data.clear()
