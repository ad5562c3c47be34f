"""Port of ``src/api/transform/anthropic-filter.ts`` (Roo-Code @ cb83656)."""

from __future__ import annotations

from typing import Any, Final

from ..js.errors import JSTypeError

# Content block types the Anthropic API accepts; only these are passed through.
VALID_ANTHROPIC_BLOCK_TYPES: Final = frozenset(
    {"text", "image", "tool_use", "tool_result", "thinking", "redacted_thinking", "document"}
)


# anthropic-filter.ts: filterNonAnthropicBlocks
def filter_non_anthropic_blocks(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop content blocks of other types (``reasoning``, ``thoughtSignature``, …); a message left
    with no blocks is dropped as well. String contents pass unchanged."""
    result: list[dict[str, Any]] = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            result.append(message)
            continue
        if content is None:
            missing = "null" if "content" in message else "undefined"
            raise JSTypeError(f"Cannot read properties of {missing} (reading 'filter')")
        filtered = [
            block for block in content if isinstance(block, dict) and block.get("type") in VALID_ANTHROPIC_BLOCK_TYPES
        ]
        if not filtered:
            continue
        result.append({**message, "content": filtered})
    return result
