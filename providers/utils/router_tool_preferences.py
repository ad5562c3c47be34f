"""Port of ``src/api/providers/utils/router-tool-preferences.ts`` (Roo-Code @ cb83656)."""

from __future__ import annotations

from typing import Any


# router-tool-preferences.ts: applyRouterToolPreferences
def apply_router_tool_preferences(model_id: str, info: dict[str, Any]) -> dict[str, Any]:
    """Tool preferences for models reached through a router: an ``openai`` model id gets
    ``apply_patch`` instead of ``apply_diff`` / ``write_to_file``, as the native OpenAI provider.
    Returns a new dict when it changes anything."""
    result = info
    if "openai" in model_id:
        result = {
            **result,
            "excludedTools": list(dict.fromkeys([*(result.get("excludedTools") or []), "apply_diff", "write_to_file"])),
            "includedTools": list(dict.fromkeys([*(result.get("includedTools") or []), "apply_patch"])),
        }
    return result
