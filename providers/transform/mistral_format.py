"""Port of ``normalizeMistralToolCallId`` from ``src/api/transform/mistral-format.ts`` (Roo-Code @ cb83656).

The rest of that file (``convertToMistralMessages``) serves the Mistral provider, which this port
does not carry.
"""

from __future__ import annotations

import re

_NOT_ALPHANUMERIC = re.compile(r"[^a-zA-Z0-9]")


# mistral-format.ts: normalizeMistralToolCallId
def normalize_mistral_tool_call_id(tool_call_id: str) -> str:
    """A tool call id as Mistral accepts it: its ASCII letters and digits, cut or zero-padded to 9."""
    alphanumeric = _NOT_ALPHANUMERIC.sub("", tool_call_id)
    if len(alphanumeric) >= 9:
        return alphanumeric[:9]
    return alphanumeric.ljust(9, "0")
