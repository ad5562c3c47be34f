"""The LLM manager's response cache (ours): exact match on the provider, its model, the system
prompt, the messages sent, the sampling options and the tools offered; entries live
``cache_ttl_seconds`` in memory (``cachetools.TTLCache``).

An entry is a whole turn as the caller saw it: the stream's chunks (so a streamed hit replays the
same deltas) and the final response. Only turns that made no function call are stored: a turn
that ran tools depends on what the tools returned, which the key does not cover.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache

DEFAULT_MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class CachedTurn:
    chunks: tuple[Any, ...]  # the stream's chunks, final response chunk excluded
    response: Any  # the LLMResponse


def cache_key(
    provider: str,
    model: str,
    system_prompt: str,
    messages: Sequence[Mapping[str, Any]],
    temperature: float | None,
    max_tokens: int | None,
    tools: Sequence[Mapping[str, Any]],
) -> str:
    """A digest of everything that decides the model's answer (canonical JSON: sorted keys)."""
    payload = json.dumps(
        [provider, model, system_prompt, list(messages), temperature, max_tokens, list(tools)],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


class ResponseCache:
    """``get`` / ``put`` by ``cache_key``; ``hits`` and ``misses`` counted."""

    def __init__(self, ttl_seconds: float, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._entries: TTLCache[str, CachedTurn] = TTLCache(maxsize=max_entries, ttl=ttl_seconds)
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> CachedTurn | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
        else:
            self.hits += 1
        return entry

    def put(self, key: str, turn: CachedTurn) -> None:
        self._entries[key] = turn

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def stats(self) -> dict[str, int]:
        return {"entries": len(self._entries), "hits": self.hits, "misses": self.misses}
