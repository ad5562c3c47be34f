"""Token counting with tiktoken ``o200k_base``: port of ``src/utils/tiktoken.ts`` (Roo-Code @ cb83656).

The reference builds npm ``tiktoken`` 1.0.21's ``Tiktoken`` (``tiktoken/lite``) from
``tiktoken/encoders/o200k_base``. Python's ``tiktoken`` gives the same token ids but would
download its ranks; here they ship as package data (``o200k_base.tiktoken``, converted from the
npm package by ``tools/convert_o200k.py``, its SHA-256 checked on load), so counting never touches
the network. The ``tiktoken`` library is imported on first use.
"""

from __future__ import annotations

import base64
import hashlib
import math
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..js.errors import JSTypeError
from ..js.jsonjs import dumps, js_string, js_truthy

if TYPE_CHECKING:
    import tiktoken as _tiktoken

TOKEN_FUDGE_FACTOR = 1.5

# npm tiktoken 1.0.21 encoders/o200k_base.json: pat_str and special_tokens
O200K_PAT_STR = (
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
    r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
    r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
O200K_SPECIAL_TOKENS = {"<|endoftext|>": 199999, "<|endofprompt|>": 200018}

O200K_RANKS_FILE = Path(__file__).with_name("o200k_base.tiktoken")

_encoder: _tiktoken.Encoding | None = None
_encoder_lock = threading.Lock()


def load_o200k_base() -> _tiktoken.Encoding:
    """``new Tiktoken(o200kBase.bpe_ranks, o200kBase.special_tokens, o200kBase.pat_str)``.

    Raises ``ValueError`` when the rank file's SHA-256 is not the recorded one.
    """
    import tiktoken

    data = O200K_RANKS_FILE.read_bytes()
    expected = O200K_RANKS_FILE.with_name(O200K_RANKS_FILE.name + ".sha256").read_text().strip()
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ValueError(f"{O200K_RANKS_FILE}: sha256 {actual}, expected {expected} (rerun tools/convert_o200k.py)")
    ranks = {base64.b64decode(token): int(rank) for token, rank in (line.split() for line in data.splitlines() if line)}
    return tiktoken.Encoding(
        name="o200k_base",
        pat_str=O200K_PAT_STR,
        mergeable_ranks=ranks,
        special_tokens=O200K_SPECIAL_TOKENS,
    )


def get_encoder() -> _tiktoken.Encoding:
    """The cached encoder, created on first use."""
    global _encoder
    if _encoder is None:
        with _encoder_lock:
            if _encoder is None:
                _encoder = load_o200k_base()
    return _encoder


def _template(block: Mapping[str, Any], key: str) -> str:
    """``${block.key}``: ``undefined`` when absent."""
    return js_string(block[key]) if key in block else "undefined"


# tiktoken.ts: serializeToolUse
def serialize_tool_use(block: Mapping[str, Any]) -> str:
    """A ``tool_use`` block as text: ``Tool: <name>`` and ``Arguments: <JSON input>``."""
    parts = [f"Tool: {_template(block, 'name')}"]
    if "input" in block:
        try:
            parts.append(f"Arguments: {dumps(block['input'])}")
        except (TypeError, ValueError, RecursionError):
            parts.append("Arguments: [serialization error]")
    return "\n".join(parts)


# tiktoken.ts: serializeToolResult
def serialize_tool_result(block: Mapping[str, Any]) -> str:
    """A ``tool_result`` block as text: its id, ``[Error]``, then its text or block markers."""
    parts = [f"Tool Result ({_template(block, 'tool_use_id')})"]
    if js_truthy(block.get("is_error")):
        parts.append("[Error]")
    content = block.get("content")
    if isinstance(content, str):
        parts.append(content)
    elif isinstance(content, list):
        for item in content:
            item_type = item.get("type")
            if item_type == "text":
                text = item.get("text")
                parts.append(js_string(text) if js_truthy(text) else "")
            elif item_type == "image":
                parts.append("[Image content]")
            else:
                parts.append(f"[Unsupported content block: {_template(item, 'type')}]")
    return "\n".join(parts)


def _utf16_length(text: str) -> int:
    """JavaScript's ``string.length`` (UTF-16 code units)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# tiktoken.ts: tiktoken
def tiktoken(content: Sequence[Mapping[str, Any]]) -> int:
    """Tokens of the content blocks times the fudge factor, rounded up.

    Text, ``tool_use`` and ``tool_result`` blocks are encoded as ordinary text (special-token
    strings included); an image counts ``ceil(sqrt(len(base64 data)))``, or 300 without data;
    other blocks count nothing. Synchronous (the TS function awaits nothing).
    """
    if len(content) == 0:
        return 0
    total_tokens = 0
    encoder = get_encoder()
    for block in content:
        block_type = block.get("type")
        if block_type == "text":
            text = block.get("text") or ""
            if len(text) > 0:
                total_tokens += len(encoder.encode_ordinary(text))
        elif block_type == "image":
            image_source = block.get("source")
            if isinstance(image_source, Mapping) and "data" in image_source:
                base64_data = image_source["data"]
                if base64_data is None:
                    raise JSTypeError("Cannot read properties of null (reading 'length')")
                total_tokens += math.ceil(math.sqrt(_utf16_length(base64_data)))
            else:
                total_tokens += 300
        elif block_type == "tool_use":
            serialized = serialize_tool_use(block)
            if len(serialized) > 0:
                total_tokens += len(encoder.encode_ordinary(serialized))
        elif block_type == "tool_result":
            serialized = serialize_tool_result(block)
            if len(serialized) > 0:
                total_tokens += len(encoder.encode_ordinary(serialized))
    return math.ceil(total_tokens * TOKEN_FUDGE_FACTOR)
