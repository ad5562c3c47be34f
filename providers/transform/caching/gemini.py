"""Port of ``src/api/transform/caching/gemini.ts`` (Roo-Code @ cb83656).

Cache breakpoints for Gemini models behind an OpenAI-compatible API (OpenRouter): always the system
prompt, then the last text part of every ``frequency``-th user message (the 10th, 20th, …).
Mutates ``messages`` in place, as the reference does.
"""

from __future__ import annotations

from typing import Any


# gemini.ts: addCacheBreakpoints
def add_cache_breakpoints(system_prompt: str, messages: list[dict[str, Any]], frequency: int = 10) -> None:
    """Mark the system prompt and every ``frequency``-th user message ``cache_control: ephemeral``."""
    messages[0] = {
        "role": "system",
        "content": [{"type": "text", "text": system_prompt, "cache_control": {"type": "ephemeral"}}],
    }

    count = 0
    for msg in messages:
        if msg.get("role") != "user":
            continue

        # content in array form, so that it can take the marker
        if isinstance(msg.get("content"), str):
            msg["content"] = [{"type": "text", "text": msg["content"]}]

        if count % frequency == frequency - 1:
            content = msg.get("content")
            if isinstance(content, list):
                text_parts = [part for part in content if part.get("type") == "text"]
                if text_parts:
                    last_text_part = text_parts[-1]
                else:
                    last_text_part = {"type": "text", "text": "..."}  # a placeholder when there is no text
                    content.append(last_text_part)
                last_text_part["cache_control"] = {"type": "ephemeral"}

        count += 1
