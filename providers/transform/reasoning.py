"""Port of ``src/api/transform/reasoning.ts`` (Roo-Code @ cb83656): each API family's reasoning
parameters from a model's info, the resolved budget/effort and the settings.

Each function returns the params dict, or ``None`` where the reference returns ``undefined``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ..js.jsonjs import js_truthy
from ..utils.api import should_use_reasoning_budget, should_use_reasoning_effort

# Valid Gemini thinking levels for effort-based reasoning
GEMINI_THINKING_LEVELS: Final = ("minimal", "low", "medium", "high")


# reasoning.ts: isGeminiThinkingLevel
def is_gemini_thinking_level(value: Any) -> bool:
    return isinstance(value, str) and value in GEMINI_THINKING_LEVELS


# reasoning.ts: getOpenRouterReasoning
def get_open_router_reasoning(
    *,
    model: Mapping[str, Any],
    reasoning_budget: int | None,
    reasoning_effort: str | None,
    settings: Mapping[str, Any],
) -> dict[str, Any] | None:
    """``{max_tokens}`` for budget models, ``{effort}`` for effort models."""
    if should_use_reasoning_budget(model, settings):
        return {} if reasoning_budget is None else {"max_tokens": reasoning_budget}
    if should_use_reasoning_effort(model, settings):
        if js_truthy(reasoning_effort) and reasoning_effort != "disable":
            return {"effort": reasoning_effort}
        return None
    return None


# reasoning.ts: getRooReasoning
def get_roo_reasoning(
    *,
    model: Mapping[str, Any],
    reasoning_budget: int | None,
    reasoning_effort: str | None,
    settings: Mapping[str, Any],
) -> dict[str, Any] | None:
    """Roo's ``{enabled, effort}``: absent selection means off, "disable"/"minimal" omit it."""
    if not js_truthy(model.get("supportsReasoningEffort")):
        return None

    if js_truthy(model.get("requiredReasoningEffort")):
        # the provided effort if valid, else the model chooses
        if js_truthy(reasoning_effort) and reasoning_effort not in ("disable", "minimal"):
            return {"enabled": True, "effort": reasoning_effort}
        return {"enabled": True}

    # explicit off switch: always sent disabled
    if settings.get("enableReasoningEffort") is False:
        return {"enabled": False}

    # no selection is an explicit "off"
    if not js_truthy(reasoning_effort):
        return {"enabled": False}

    # "disable" (legacy) and "minimal" omit the reasoning field
    if reasoning_effort in ("disable", "minimal"):
        return None

    return {"enabled": True, "effort": reasoning_effort}


# reasoning.ts: getAnthropicReasoning
def get_anthropic_reasoning(
    *,
    model: Mapping[str, Any],
    reasoning_budget: int | None,
    reasoning_effort: str | None,
    settings: Mapping[str, Any],
) -> dict[str, Any] | None:
    """Extended thinking ``{type: "enabled", budget_tokens}`` for budget models."""
    if should_use_reasoning_budget(model, settings):
        thinking: dict[str, Any] = {"type": "enabled"}
        if reasoning_budget is not None:
            thinking["budget_tokens"] = reasoning_budget
        return thinking
    return None


# reasoning.ts: getOpenAiReasoning
def get_open_ai_reasoning(
    *,
    model: Mapping[str, Any],
    reasoning_budget: int | None,
    reasoning_effort: str | None,
    settings: Mapping[str, Any],
) -> dict[str, Any] | None:
    """``{reasoning_effort}`` ("none" | "minimal" | "low" | "medium" | "high" literally)."""
    if not should_use_reasoning_effort(model, settings):
        return None
    if reasoning_effort == "disable" or not js_truthy(reasoning_effort):
        return None
    return {"reasoning_effort": reasoning_effort}


# reasoning.ts: getGeminiReasoning
def get_gemini_reasoning(
    *,
    model: Mapping[str, Any],
    reasoning_budget: int | None,
    reasoning_effort: str | None,
    settings: Mapping[str, Any],
) -> dict[str, Any] | None:
    """``{thinkingBudget}`` for budget (2.5) models, else ``{thinkingLevel}`` from the selected
    effort (``enableReasoningEffort`` deliberately ignored), with ``includeThoughts``."""
    if should_use_reasoning_budget(model, settings):
        config: dict[str, Any] = {}
        if reasoning_budget is not None:
            config["thinkingBudget"] = reasoning_budget
        config["includeThoughts"] = True
        return config

    selected_effort = settings.get("reasoningEffort")
    if selected_effort is None:
        selected_effort = model.get("reasoningEffort")

    # "off" / unset
    if not js_truthy(selected_effort) or selected_effort == "disable":
        return None

    # an effort this model does not support falls back to the model's default
    capability = model.get("supportsReasoningEffort")
    effort_to_use = (
        model.get("reasoningEffort")
        if isinstance(capability, list) and is_gemini_thinking_level(selected_effort) and selected_effort not in capability
        else selected_effort
    )

    if not js_truthy(effort_to_use) or not is_gemini_thinking_level(effort_to_use):
        return None

    return {"thinkingLevel": effort_to_use, "includeThoughts": True}
