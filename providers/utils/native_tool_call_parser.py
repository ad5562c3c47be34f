"""The raw tool-call tracking of ``src/core/assistant-message/NativeToolCallParser.ts`` (Roo-Code @ cb83656).

Providers call ``NativeToolCallParser.processFinishReason`` after each stream chunk; its state (which
tool calls are open, keyed by stream index) is filled by ``processRawChunk``, which the task loop,
not the provider layer, calls with the ``tool_call_partial`` chunks. The state is process-wide
(static), as in the reference. The parsing of tool arguments into ``ToolUse`` objects belongs to
the task loop and is not ported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Union

from ..transform.stream import ApiStreamToolCallDeltaChunk, ApiStreamToolCallEndChunk, ApiStreamToolCallStartChunk

# ToolCallStreamEvent
ToolCallStreamEvent = Union[ApiStreamToolCallStartChunk, ApiStreamToolCallDeltaChunk, ApiStreamToolCallEndChunk]


@dataclass
class _TrackedToolCall:
    id: str
    name: str
    has_started: bool = False
    delta_buffer: list[str] = field(default_factory=list)


class NativeToolCallParser:
    """``NativeToolCallParser``'s raw chunk tracker (static state, class methods)."""

    # raw chunk tracking, keyed by the stream's tool call index
    raw_chunk_tracker: ClassVar[dict[int, _TrackedToolCall]] = {}

    # NativeToolCallParser.processRawChunk
    @classmethod
    def process_raw_chunk(cls, chunk: Mapping[str, Any]) -> list[ToolCallStreamEvent]:
        """One ``tool_call_partial`` chunk (``index``, ``id``, ``name``, ``arguments``) in;
        ``tool_call_start`` / ``tool_call_delta`` events out."""
        events: list[ToolCallStreamEvent] = []
        index = chunk["index"]
        tool_call_id = chunk.get("id")
        name = chunk.get("name")
        arguments = chunk.get("arguments")
        tracked = cls.raw_chunk_tracker.get(index)

        # a new tool call starts with its id
        if tool_call_id and tracked is None:
            tracked = _TrackedToolCall(id=tool_call_id, name=name or "")
            cls.raw_chunk_tracker[index] = tracked

        if tracked is None:
            return events

        if name:
            tracked.name = name

        # the start event once the name is known, then the deltas buffered so far
        if not tracked.has_started and tracked.name:
            events.append({"type": "tool_call_start", "id": tracked.id, "name": tracked.name})
            tracked.has_started = True
            for buffered in tracked.delta_buffer:
                events.append({"type": "tool_call_delta", "id": tracked.id, "delta": buffered})
            tracked.delta_buffer = []

        if arguments:
            if tracked.has_started:
                events.append({"type": "tool_call_delta", "id": tracked.id, "delta": arguments})
            else:
                tracked.delta_buffer.append(arguments)

        return events

    # NativeToolCallParser.processFinishReason
    @classmethod
    def process_finish_reason(cls, finish_reason: str | None) -> list[ToolCallStreamEvent]:
        """``tool_call_end`` for every tracked tool call when the stream says ``tool_calls``."""
        events: list[ToolCallStreamEvent] = []
        if finish_reason == "tool_calls" and cls.raw_chunk_tracker:
            for tracked in cls.raw_chunk_tracker.values():
                events.append({"type": "tool_call_end", "id": tracked.id})
        return events

    # NativeToolCallParser.finalizeRawChunks
    @classmethod
    def finalize_raw_chunks(cls) -> list[ToolCallStreamEvent]:
        """``tool_call_end`` for every started tool call, then forget them all."""
        events: list[ToolCallStreamEvent] = []
        for tracked in cls.raw_chunk_tracker.values():
            if tracked.has_started:
                events.append({"type": "tool_call_end", "id": tracked.id})
        cls.raw_chunk_tracker.clear()
        return events

    # NativeToolCallParser.clearRawChunkState
    @classmethod
    def clear_raw_chunk_state(cls) -> None:
        """Forget every tracked tool call (a new API request starts)."""
        cls.raw_chunk_tracker.clear()
