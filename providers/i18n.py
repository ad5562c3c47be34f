"""The English strings the ported code reaches through ``t()`` (src/i18n/locales/en/*.json).

i18next as the reference sets it up (src/i18n/setup.ts): ``{{name}}`` placeholders, values
inserted unescaped.
"""

from __future__ import annotations

import re
from typing import Any

from .js.jsonjs import js_string

# src/i18n/locales/en/common.json, the keys src/api uses
_STRINGS = {
    "common:errors.api.invalidKeyInvalidChars": "API key contains invalid characters.",
    "common:errors.api.apiRequestFailed": "API request failed ({{status}})",
    "common:errors.gemini.generate_stream": "Gemini generate context stream error: {{error}}",
    "common:errors.gemini.generate_complete_prompt": "Gemini completion error: {{error}}",
    "common:errors.gemini.sources": "Sources:",
    "common:errors.gemini.thinking_complete_no_output": "(Thinking complete, but no output was generated.)",
    "common:errors.gemini.thinking_complete_truncated": "(Thinking complete, but output was truncated due to token limit.)",
    "common:errors.gemini.thinking_complete_safety": "(Thinking complete, but output was blocked due to safety settings.)",
    "common:errors.gemini.thinking_complete_recitation": "(Thinking complete, but output was blocked due to recitation check.)",
}

_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def t(key: str, values: dict[str, Any] | None = None) -> str:
    """``t(key, values)``: the English text with ``{{name}}`` replaced by ``String(value)``."""
    text = _STRINGS.get(key, key)
    if not values:
        return text
    return _PLACEHOLDER.sub(lambda m: js_string(values.get(m.group(1), m.group(0))), text)
