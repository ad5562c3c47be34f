"""Anthropic messages → Gemini ``Content``: port of ``src/api/transform/gemini-format.ts`` (Roo-Code @ cb83656).

Blocks are dicts with the Anthropic keys. A key the TypeScript object literal would set to
``undefined`` (the block lacks it) is left out of the part, so ``JSON.stringify`` and this port
write the same bytes.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..js.errors import JSError, JSTypeError
from ..js.jsonjs import js_string

SKIP_THOUGHT_SIGNATURE = "skip_thought_signature_validator"


def _is_thought_signature_content_block(block: Any) -> bool:
    return isinstance(block, dict) and block.get("type") == "thoughtSignature"


def _copy(block: Mapping[str, Any], key: str, out: dict[str, Any], out_key: str | None = None) -> None:
    if key in block:
        out[out_key or key] = block[key]


def _image_part(source: Any) -> dict[str, Any]:
    inline: dict[str, Any] = {}
    _copy(source, "data", inline)
    _copy(source, "media_type", inline, "mimeType")
    return {"inlineData": inline}


# gemini-format.ts: convertAnthropicContentToGemini
def convert_anthropic_content_to_gemini(
    content: Any,
    *,
    include_thought_signatures: bool = True,
    tool_id_to_name: Mapping[Any, Any] | None = None,
) -> list[dict[str, Any]]:
    """A message's content as Gemini parts; thought signatures attached as Gemini 3 expects."""
    # First pass: a thoughtSignature block anywhere in the content
    active_signature: Any = None
    if isinstance(content, list):
        sig_block = next((b for b in content if _is_thought_signature_content_block(b)), None)
        if sig_block is not None and sig_block.get("thoughtSignature"):
            active_signature = sig_block["thoughtSignature"]

    # The signature for function calls: the real one, or the validator bypass.
    function_call_signature: Any = None
    if include_thought_signatures:
        function_call_signature = active_signature or SKIP_THOUGHT_SIGNATURE

    if isinstance(content, str):
        return [{"text": content}]
    if content is None:
        raise JSTypeError("Cannot read properties of undefined (reading 'flatMap')")
    if not isinstance(content, list):
        raise JSTypeError("content.flatMap is not a function")

    parts: list[dict[str, Any]] = []
    for block in content:
        if _is_thought_signature_content_block(block):
            continue
        block_type = block.get("type") if isinstance(block, dict) else None
        if block_type == "text":
            part: dict[str, Any] = {}
            _copy(block, "text", part)
            parts.append(part)
        elif block_type == "image":
            source = block.get("source") or {}
            if source.get("type") != "base64":
                raise JSError("Unsupported image source type")
            parts.append(_image_part(source))
        elif block_type == "tool_use":
            call: dict[str, Any] = {}
            _copy(block, "name", call)
            _copy(block, "input", call, "args")
            part = {"functionCall": call}
            if function_call_signature:
                part["thoughtSignature"] = function_call_signature
            parts.append(part)
        elif block_type == "tool_result":
            parts.extend(_tool_result_parts(block, tool_id_to_name))
        # Other block types (reasoning, thinking, redacted_thinking, document, …) are skipped.

    # Attach the signature to the first part if no function call carries it.
    if include_thought_signatures and active_signature:
        if not any("thoughtSignature" in p for p in parts):
            if parts:
                parts[0]["thoughtSignature"] = active_signature
            else:
                parts.append({"text": "", "thoughtSignature": active_signature})

    # Parallel function calls: only the first keeps its signature.
    if include_thought_signatures:
        seen_first_call = False
        for p in parts:
            if "functionCall" in p:  # always an object here, so truthy
                if not seen_first_call:
                    seen_first_call = True
                else:
                    p.pop("thoughtSignature", None)

    return parts


def _tool_result_parts(block: Mapping[str, Any], tool_id_to_name: Mapping[Any, Any] | None) -> list[dict[str, Any]]:
    """A ``tool_result`` block: a ``functionResponse`` part, then its images."""
    result_content = block.get("content")
    if not result_content and result_content != []:  # JS falsiness: an empty array passes
        return []
    tool_use_id = block.get("tool_use_id")
    tool_name = (tool_id_to_name or {}).get(tool_use_id)
    if not tool_name:
        available = ", ".join("" if k is None else str(k) for k in (tool_id_to_name or {}))
        raise JSError(
            f'Unable to find tool name for tool_use_id "{js_string(tool_use_id) if "tool_use_id" in block else "undefined"}". '
            "This indicates the conversation history is missing the corresponding tool_use block. "
            f"Available tool IDs: {available or 'none'}"
        )
    if isinstance(result_content, str):
        return [{"functionResponse": {"name": tool_name, "response": {"name": tool_name, "content": result_content}}}]
    if not isinstance(result_content, list):
        return []
    text_parts: list[str] = []
    image_parts: list[dict[str, Any]] = []
    for item in result_content:
        item_type = item.get("type") if isinstance(item, dict) else None
        if item_type == "text":
            text_parts.append(item.get("text"))
        elif item_type == "image" and (item.get("source") or {}).get("type") == "base64":
            image_parts.append(_image_part(item["source"]))
    content_text = "\n\n".join("" if t is None else str(t) for t in text_parts) + (
        "\n\n(See next part for image)" if image_parts else ""
    )
    return [
        {"functionResponse": {"name": tool_name, "response": {"name": tool_name, "content": content_text}}},
        *image_parts,
    ]


# gemini-format.ts: convertAnthropicMessageToGemini
def convert_anthropic_message_to_gemini(
    message: Mapping[str, Any],
    *,
    include_thought_signatures: bool = True,
    tool_id_to_name: Mapping[Any, Any] | None = None,
) -> list[dict[str, Any]]:
    """One Anthropic message as zero or one Gemini ``Content`` (``role`` ``model`` or ``user``)."""
    parts = convert_anthropic_content_to_gemini(
        message.get("content"),
        include_thought_signatures=include_thought_signatures,
        tool_id_to_name=tool_id_to_name,
    )
    if not parts:
        return []
    return [{"role": "model" if message.get("role") == "assistant" else "user", "parts": parts}]
