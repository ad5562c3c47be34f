"""Anthropic messages to Bedrock Converse messages: port of
``src/api/transform/bedrock-converse-format.ts`` (Roo-Code @ cb83656).

Content blocks are dicts in the Converse shape (``text``, ``image`` with ``bytes``, ``toolUse``,
``toolResult``, ``video``); the AWS SDK serializer (``providers.sdk.aws``) base64-encodes image
bytes and orders members as the service model does.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from ..js.errors import JSError, JSTypeError
from ..js.jsonjs import js_string, js_truthy
from ..utils.tool_id import sanitize_openai_call_id

_ATOB_WHITESPACE = re.compile(r"[\t\n\f\r ]")


def convert_to_bedrock_converse_messages(anthropic_messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``convertToBedrockConverseMessages``."""
    return [_convert_message(message) for message in anthropic_messages]


def _convert_message(anthropic_message: dict[str, Any]) -> dict[str, Any]:
    # Map Anthropic roles to Bedrock roles
    role = "assistant" if anthropic_message.get("role") == "assistant" else "user"
    content: Any = anthropic_message.get("content")
    if isinstance(content, str):
        return {"role": role, "content": [{"text": content}]}
    return {"role": role, "content": [_convert_block(block) for block in content]}


def _convert_block(block: dict[str, Any]) -> dict[str, Any]:
    block_type = block.get("type")
    if block_type == "text":
        return {"text": block.get("text") or ""}

    if block_type == "image" and block.get("source"):
        source = block["source"]
        data = source.get("data")
        byte_array = _atob(data) if isinstance(data, str) else bytes(data)
        # Extract format from media_type (e.g., "image/jpeg" -> "jpeg")
        parts = source.get("media_type").split("/")
        image_format = parts[1] if len(parts) > 1 else None
        if image_format not in ("png", "jpeg", "gif", "webp"):
            raise JSError(f"Unsupported image format: {'undefined' if image_format is None else image_format}")
        return {"image": {"format": image_format, "source": {"bytes": byte_array}}}

    if block_type == "tool_use":
        # Native-only: keep input as JSON object for Bedrock's toolUse format
        return {
            "toolUse": {
                "toolUseId": sanitize_openai_call_id(block.get("id") or ""),
                "name": block.get("name") or "",
                "input": block["input"] if js_truthy(block.get("input")) else {},
            }
        }

    if block_type == "tool_result":
        return {"toolResult": _convert_tool_result(block)}

    if block_type == "video":
        s3_location = block.get("s3Location")
        video_content = (
            {"s3Location": {"uri": s3_location.get("uri"), "bucketOwner": s3_location.get("bucketOwner")}}
            if s3_location
            else block.get("source")
        )
        return {"video": {"format": "mp4", "source": video_content}}

    # Default case for unknown block types
    return {"text": "[Unknown Block Type]"}


def _convert_tool_result(block: dict[str, Any]) -> dict[str, Any]:
    tool_use_id = sanitize_openai_call_id(block.get("tool_use_id") or "")
    content = block.get("content")
    # Handle content field - can be string or array (native tool format)
    if js_truthy(content):
        if isinstance(content, str):
            return {"toolUseId": tool_use_id, "content": [{"text": content}], "status": "success"}
        if isinstance(content, list):
            return {
                "toolUseId": tool_use_id,
                "content": [{"text": item if isinstance(item, str) else _text_or_string(item)} for item in content],
                "status": "success",
            }

    # Fall back to output handling if content is not available
    output = block.get("output")
    if js_truthy(output) and isinstance(output, str):
        return {"toolUseId": tool_use_id, "content": [{"text": output}], "status": "success"}
    # Handle array of content blocks if output is an array
    if isinstance(output, list):
        return {"toolUseId": tool_use_id, "content": [_output_part(part) for part in output], "status": "success"}

    # Default case
    return {
        "toolUseId": tool_use_id,
        "content": [{"text": js_string(output if js_truthy(output) else "")}],
        "status": "success",
    }


def _output_part(part: Any) -> dict[str, Any]:
    if part is None:
        raise JSTypeError("Cannot use 'in' operator to search for 'text' in null")
    if isinstance(part, dict) and "text" in part:
        return {"text": part["text"]}
    # Skip images in tool results as they're handled separately
    if isinstance(part, dict) and part.get("type") == "image":
        return {"text": "(see following message for image)"}
    return {"text": js_string(part)}


def _text_or_string(item: Any) -> Any:
    """``item.text || String(item)``."""
    text = item.get("text") if isinstance(item, dict) else None
    return text if js_truthy(text) else js_string(item)


def _atob(data: str) -> bytes:
    """``atob(data)`` as bytes (forgiving-base64 decode)."""
    text = _ATOB_WHITESPACE.sub("", data)
    if len(text) % 4 == 0 and text.endswith("="):
        text = text[:-2] if text.endswith("==") else text[:-1]
    if len(text) % 4 == 1 or re.search(r"[^A-Za-z0-9+/]", text):
        raise JSError("The string to be decoded is not correctly encoded.", name="InvalidCharacterError")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise JSError("The string to be decoded is not correctly encoded.", name="InvalidCharacterError") from None
