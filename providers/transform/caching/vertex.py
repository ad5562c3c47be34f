"""Port of ``src/api/transform/caching/vertex.ts`` (Roo-Code @ cb83656).

Claude on Vertex allows at most four ``cache_control`` blocks: the handler marks the system prompt,
and this marks the last text block of each of the last two user messages.
"""

from __future__ import annotations

from typing import Any


# vertex.ts: addCacheBreakpoints
def add_cache_breakpoints(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages with the last two user messages' last text blocks marked ephemeral."""
    indices = [i for i, message in enumerate(messages) if message.get("role") == "user"]
    last_index = indices[-1] if indices else -1
    second_last_index = indices[-2] if len(indices) >= 2 else -1
    return [
        _cached_message(message)
        if message.get("role") != "assistant" and index in (last_index, second_last_index)
        else message
        for index, message in enumerate(messages)
    ]


# vertex.ts: cachedMessage
def _cached_message(message: dict[str, Any]) -> dict[str, Any]:
    content = message["content"]
    if isinstance(content, str):
        # one block only, so it is always the last
        return {**message, "content": [{"type": "text", "text": content, "cache_control": {"type": "ephemeral"}}]}
    last_text_index = -1
    for index, block in enumerate(content):
        if block.get("type") == "text":
            last_text_index = index
    return {
        **message,
        "content": [
            (
                {**block, **({"cache_control": {"type": "ephemeral"}} if index == last_text_index else {})}
                if block.get("type") == "text"
                else block
            )
            for index, block in enumerate(content)
        ],
    }
