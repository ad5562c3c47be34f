"""Tool-call id helpers: port of ``src/utils/tool-id.ts`` (Roo-Code @ cb83656)."""

from __future__ import annotations

import hashlib
import re

OPENAI_CALL_ID_MAX_LENGTH = 64
"""OpenAI Responses API maximum length for ``call_id`` (function_call and its output)."""

_INVALID_TOOL_ID_CHARS = re.compile(r"[^a-zA-Z0-9_-]")


def sanitize_tool_use_id(tool_id: str) -> str:
    """``sanitizeToolUseId``: every character outside ``[a-zA-Z0-9_-]`` becomes ``_``.

    JS regexes walk UTF-16 code units, so a character outside the BMP becomes two underscores.
    """
    return _INVALID_TOOL_ID_CHARS.sub(lambda m: "_" * _utf16_len(m.group(0)), tool_id)


def truncate_openai_call_id(tool_id: str, max_length: int = OPENAI_CALL_ID_MAX_LENGTH) -> str:
    """``truncateOpenAiCallId``: cut to ``max_length`` keeping an 8-hex MD5 suffix for uniqueness."""
    if _utf16_len(tool_id) <= max_length:
        return tool_id
    hash_suffix_length = 8
    separator = "_"
    prefix_max_length = max_length - len(separator) - hash_suffix_length
    digest = hashlib.md5(tool_id.encode("utf-8", "surrogatepass")).hexdigest()[:hash_suffix_length]
    return f"{tool_id[:prefix_max_length]}{separator}{digest}"


def sanitize_openai_call_id(tool_id: str, max_length: int = OPENAI_CALL_ID_MAX_LENGTH) -> str:
    """``sanitizeOpenAiCallId``: sanitize the characters, then truncate."""
    return truncate_openai_call_id(sanitize_tool_use_id(tool_id), max_length)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2
