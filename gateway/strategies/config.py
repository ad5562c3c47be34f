"""``MarsConfig``: optillm 0.4.0's MARS configuration (``mars.py``'s ``DEFAULT_CONFIG`` and
``LIGHTWEIGHT_CONFIG``) with the brief's settings mapped onto it.

Every optillm key is a field; ``None`` leaves optillm's value (the lightweight configuration's
when ``max_tokens`` ≤ 4,000, as optillm chooses). The brief's names map as follows:

========================  ===========================================================
brief                     optillm
========================  ===========================================================
num_agents                ``num_agents``
max_iterations            ``max_iterations``
temperatures              agent *i* samples at ``temperatures[i % len]`` (optillm's
                          ``MARSAgent._assign_temperature`` list ``[0.3, 0.6, 1.0]``)
verification_threshold    ``verification_passes_required`` =
                          ceil(threshold × ``max_verification_attempts``)
enable_strategy_learning  ``enable_strategy_network``, ``strategy_extraction_enabled``,
                          ``cross_agent_enhancement``
token_budget              none: the port's budget for the whole run (``run_strategy``)
parallel_exploration      none: ``False`` runs MARS's tasks one at a time
========================  ===========================================================
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from .mars.mars import DEFAULT_CONFIG, LIGHTWEIGHT_CONFIG, LIGHTWEIGHT_MAX_TOKENS

_OPTILLM_KEYS = list(DEFAULT_CONFIG)


@dataclass
class MarsConfig:
    num_agents: int | None = None
    max_iterations: int | None = None
    verification_passes_required: int | None = None
    consensus_threshold: int | None = None
    min_verified_solutions: int | None = None
    max_tokens: int | None = None
    max_verification_attempts: int | None = None
    early_termination: bool | None = None
    use_reasoning_api: bool | None = None
    enable_aggregation: bool | None = None
    population_size: int | None = None
    aggregation_size: int | None = None
    aggregation_loops: int | None = None
    enable_strategy_network: bool | None = None
    strategy_extraction_enabled: bool | None = None
    cross_agent_enhancement: bool | None = None
    use_thinking_tags: bool | None = None
    answer_extraction_mode: str | None = None
    # the brief's settings
    temperatures: list[float] | None = None
    verification_threshold: float | None = None
    enable_strategy_learning: bool | None = None
    token_budget: int | None = None
    parallel_exploration: bool = True

    @classmethod
    def preset(cls, name: str) -> MarsConfig:
        """The brief's configuration (``"default"``) or one of its presets: ``code``,
        ``quality``, ``latency``, ``cost`` (the default with the preset's changes)."""
        if name not in PRESETS:
            raise ValueError(f"unknown MARS preset {name!r}; known: {', '.join(PRESETS)}")
        return dataclasses.replace(cls(**BRIEF_DEFAULT), **PRESETS[name])

    def request_config(self) -> dict[str, Any]:
        """optillm's ``request_config`` for this configuration: ``max_tokens`` when set and the
        ``mars_config`` overrides (the brief's names already mapped)."""
        overrides = {key: getattr(self, key) for key in _OPTILLM_KEYS if getattr(self, key) is not None}
        if self.temperatures is not None:
            overrides["temperatures"] = list(self.temperatures)
        if self.enable_strategy_learning is not None:
            for key in ("enable_strategy_network", "strategy_extraction_enabled", "cross_agent_enhancement"):
                overrides.setdefault(key, self.enable_strategy_learning)
        if self.verification_threshold is not None and self.verification_passes_required is None:
            base = LIGHTWEIGHT_CONFIG if (self.max_tokens or 64000) <= LIGHTWEIGHT_MAX_TOKENS else DEFAULT_CONFIG
            attempts = overrides.get("max_verification_attempts", base["max_verification_attempts"])
            overrides["verification_passes_required"] = math.ceil(self.verification_threshold * attempts)
        if not self.parallel_exploration:
            overrides["parallel_exploration"] = False
        overrides.pop("max_tokens", None)
        config: dict[str, Any] = {"mars_config": overrides}
        if self.max_tokens is not None:
            config["max_tokens"] = self.max_tokens
        return config


BRIEF_DEFAULT: dict[str, Any] = {
    "num_agents": 5,
    "temperatures": [0.3, 0.6, 0.9, 1.0, 1.2],
    "max_iterations": 2,
    "verification_threshold": 0.75,
    "enable_strategy_learning": True,
    "token_budget": 5000,
    "parallel_exploration": True,
}

PRESETS: dict[str, dict[str, Any]] = {
    "default": {},
    "code": {"num_agents": 7, "verification_threshold": 0.85, "max_iterations": 3},
    "quality": {"num_agents": 7, "verification_threshold": 0.9, "token_budget": 10000},
    "latency": {"num_agents": 3, "max_iterations": 1},
    "cost": {"num_agents": 2, "token_budget": 2000},
}
