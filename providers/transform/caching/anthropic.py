"""Port of ``src/api/transform/caching/anthropic.ts`` (Roo-Code @ cb83656).

Cache breakpoints for Anthropic models behind an OpenAI-compatible API (OpenRouter): the system
prompt, and the last text part of each of the last two user messages. Mutates ``messages`` in
place, as the reference does.
"""

from __future__ import annotations

from typing import Any


# anthropic.ts: addCacheBreakpoints
def add_cache_breakpoints(system_prompt: str, messages: list[dict[str, Any]]) -> None:
    """Mark the system prompt and the last two user messages ``cache_control: ephemeral``."""
    messages[0] = {
        "role": "system",
        "content": [{"type": "text", "text": system_prompt, "cache_control": {"type": "ephemeral"}}],
    }

    # every user message's content in array form first
    for msg in messages:
        if msg.get("role") == "user" and isinstance(msg.get("content"), str):
            msg["content"] = [{"type": "text", "text": msg["content"]}]

    # the last two user messages (this works because one user message is added at a time)
    for msg in [m for m in messages if m.get("role") == "user"][-2:]:
        content = msg.get("content")
        if isinstance(content, list):
            text_parts = [part for part in content if part.get("type") == "text"]
            if text_parts:
                last_text_part = text_parts[-1]
            else:
                last_text_part = {"type": "text", "text": "..."}
                content.append(last_text_part)
            last_text_part["cache_control"] = {"type": "ephemeral"}
