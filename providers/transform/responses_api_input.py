"""Anthropic messages → Responses API input: port of ``src/api/transform/responses-api-input.ts``
(Roo-Code @ cb83656).

Text parts become ``input_text`` (user) or ``output_text`` messages (assistant), images
``input_image`` data URLs, ``tool_use`` blocks ``function_call`` items and ``tool_result`` blocks
``function_call_output`` items; the system prompt goes in ``instructions``, not here. A key the
TypeScript object literal would set to ``undefined`` (the block lacks it) is left out, so
``JSON.stringify`` and this port write the same bytes.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..js.jsonjs import dumps, js_string

_JS_TRIM_CHARS = "\t\n\v\f\r \u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000\ufeff"


def _with(out: dict[str, Any], key: str, block: Mapping[str, Any], source_key: str) -> dict[str, Any]:
    """``{ ...out, [key]: block[source_key] }``, the key left out when the block lacks it."""
    if source_key in block:
        out[key] = block[source_key]
    return out


def _tool_arguments(part: Mapping[str, Any]) -> str:
    """``typeof part.input === "string" ? part.input : JSON.stringify(part.input ?? {})``."""
    value = part.get("input")
    if isinstance(value, str):
        return value
    return dumps({} if value is None else value)


def _tool_result_output(content: Any) -> str:
    """A tool result's ``content`` as the ``output`` string; ``(empty)`` when it has no text."""
    if isinstance(content, str):
        return content or "(empty)"
    if isinstance(content, list):
        texts = [c.get("text") for c in content if c.get("type") == "text"]
        # Array.prototype.join writes "" for null and undefined
        return "\n".join("" if text is None else js_string(text) for text in texts) or "(empty)"
    return "(empty)"


# responses-api-input.ts: convertToResponsesApiInput
def convert_to_responses_api_input(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Responses API ``input`` items for Anthropic-format ``messages``."""
    items: list[dict[str, Any]] = []

    for message in messages:
        role = message.get("role")
        content: Any = message.get("content")
        if isinstance(content, str):
            if role == "assistant":
                # assistant messages are output_text in the Responses API
                items.append(
                    {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": content}]}
                )
            else:
                items.append(_with({}, "role", message, "role") | {"content": [{"type": "input_text", "text": content}]})
            continue

        if role == "assistant":
            for part in content:
                part_type = part.get("type")
                if part_type == "text":
                    text_part = _with({"type": "output_text"}, "text", part, "text")
                    items.append({"type": "message", "role": "assistant", "content": [text_part]})
                elif part_type == "tool_use":
                    call = _with({"type": "function_call"}, "call_id", part, "id")
                    items.append(_with(call, "name", part, "name") | {"arguments": _tool_arguments(part)})
                elif part_type == "thinking":
                    # reasoning goes back only when it has content
                    thinking = part.get("thinking")
                    if thinking and thinking.strip(_JS_TRIM_CHARS):
                        items.append(
                            {
                                "type": "message",
                                "role": "assistant",
                                "content": [{"type": "output_text", "text": f"[Thinking] {thinking}"}],
                            }
                        )
        else:
            # user messages
            parts: list[dict[str, Any]] = []
            for part in content:
                part_type = part.get("type")
                if part_type == "text":
                    parts.append(_with({"type": "input_text"}, "text", part, "text"))
                elif part_type == "image":
                    source = part["source"]
                    # `${value}`: an absent key reads "undefined"
                    media_type = js_string(source["media_type"]) if "media_type" in source else "undefined"
                    data = js_string(source["data"]) if "data" in source else "undefined"
                    parts.append(
                        {"type": "input_image", "detail": "auto", "image_url": f"data:{media_type};base64,{data}"}
                    )
                elif part_type == "tool_result":
                    # pending user content goes first, as a message of its own
                    if parts:
                        items.append({"role": "user", "content": list(parts)})
                        parts.clear()
                    result = _with({"type": "function_call_output"}, "call_id", part, "tool_use_id")
                    items.append(result | {"output": _tool_result_output(part.get("content"))})
            if parts:
                items.append({"role": "user", "content": parts})

    return items
