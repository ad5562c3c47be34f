"""ApiStream chunk types: port of ``src/api/transform/stream.ts`` (Roo-Code @ cb83656).

Chunks are plain dicts with the reference's camelCase keys; an optional (``?``) key whose TS value
would be ``undefined`` is left out, which is what the ``total=False`` halves below express.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Literal, TypedDict, Union


class ApiStreamError(TypedDict):
    type: Literal["error"]
    error: str
    message: str


class ApiStreamTextChunk(TypedDict):
    type: Literal["text"]
    text: str


class _ApiStreamReasoningChunk(TypedDict):
    type: Literal["reasoning"]
    text: str


class ApiStreamReasoningChunk(_ApiStreamReasoningChunk, total=False):
    """Reasoning/thinking text; ``signature`` for a complete Anthropic thinking block."""

    signature: str


class ApiStreamThinkingCompleteChunk(TypedDict):
    """The end of a thinking block with its verification signature."""

    type: Literal["thinking_complete"]
    signature: str


class _ApiStreamUsageChunk(TypedDict):
    type: Literal["usage"]
    inputTokens: float
    outputTokens: float


class ApiStreamUsageChunk(_ApiStreamUsageChunk, total=False):
    cacheWriteTokens: float
    cacheReadTokens: float
    reasoningTokens: float
    totalCost: float


class _GroundingSource(TypedDict):
    title: str
    url: str


class GroundingSource(_GroundingSource, total=False):
    snippet: str


class ApiStreamGroundingChunk(TypedDict):
    type: Literal["grounding"]
    sources: list[GroundingSource]


class ApiStreamToolCallChunk(TypedDict):
    type: Literal["tool_call"]
    id: str
    name: str
    arguments: str


class ApiStreamToolCallStartChunk(TypedDict):
    type: Literal["tool_call_start"]
    id: str
    name: str


class ApiStreamToolCallDeltaChunk(TypedDict):
    type: Literal["tool_call_delta"]
    id: str
    delta: str


class ApiStreamToolCallEndChunk(TypedDict):
    type: Literal["tool_call_end"]
    id: str


class _ApiStreamToolCallPartialChunk(TypedDict):
    type: Literal["tool_call_partial"]
    index: int


class ApiStreamToolCallPartialChunk(_ApiStreamToolCallPartialChunk, total=False):
    """A raw tool call fragment as providers emit it (the caller assembles the calls)."""

    id: str
    name: str
    arguments: str


ApiStreamChunk = Union[
    ApiStreamTextChunk,
    ApiStreamUsageChunk,
    ApiStreamReasoningChunk,
    ApiStreamThinkingCompleteChunk,
    ApiStreamGroundingChunk,
    ApiStreamToolCallChunk,
    ApiStreamToolCallStartChunk,
    ApiStreamToolCallDeltaChunk,
    ApiStreamToolCallEndChunk,
    ApiStreamToolCallPartialChunk,
    ApiStreamError,
]

ApiStream = AsyncIterator[ApiStreamChunk]
"""``AsyncGenerator<ApiStreamChunk>``: what ``create_message`` returns."""
