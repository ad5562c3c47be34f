"""Cache strategy types: port of ``src/api/transform/cache-strategy/types.ts`` (Roo-Code @ cb83656)."""

from __future__ import annotations

from typing import Any, Literal, TypedDict


class ModelInfo(TypedDict):
    """Information about a model's capabilities and constraints (the cache strategy's view)."""

    maxTokens: int
    contextWindow: int
    supportsPromptCache: bool
    maxCachePoints: int
    minTokensPerCachePoint: int
    cachableFields: list[Literal["system", "messages", "tools"]]


class CachePoint(TypedDict):
    """Cache point definition."""

    type: Literal["default"]


class CachePointPlacement(TypedDict):
    """The position and metadata for a cache point."""

    index: int
    type: Literal["system", "message"]
    tokensCovered: int


class _CacheResultRequired(TypedDict):
    system: list[dict[str, Any]]
    messages: list[dict[str, Any]]


class CacheResult(_CacheResultRequired, total=False):
    """Result of cache strategy application: Converse system blocks and messages."""

    messageCachePointPlacements: list[CachePointPlacement]


class _CacheStrategyConfigRequired(TypedDict):
    modelInfo: ModelInfo
    messages: list[dict[str, Any]]
    usePromptCache: bool


class CacheStrategyConfig(_CacheStrategyConfigRequired, total=False):
    """Configuration for the caching strategy."""

    systemPrompt: str | None
    previousCachePointPlacements: list[CachePointPlacement] | None
