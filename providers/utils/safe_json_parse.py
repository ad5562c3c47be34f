"""Port of ``packages/core/src/message-utils/safeJsonParse.ts`` (Roo-Code @ cb83656)."""

from __future__ import annotations

from typing import Any

from ..js.errors import JSError
from ..js.jsonjs import js_string, loads


# safeJsonParse.ts: safeJsonParse
def safe_json_parse(json_string: Any, default_value: Any = None) -> Any:
    """``JSON.parse(json_string)``; ``default_value`` when the text is empty or not JSON."""
    if not json_string:
        return default_value
    try:
        return loads(json_string if isinstance(json_string, str) else js_string(json_string))
    except JSError:
        return default_value
