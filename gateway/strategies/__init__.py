"""Optimisation strategies ported from optillm 0.4.0: ``moa``, ``mcts``, ``bon``,
``self_consistency`` and ``mars``, one module per optillm file, async on the port's handlers.

``run_strategy`` drives one of them against a target (a handler, a settings dict, or anything
with ``create_message``/``get_model`` such as a router), within an optional token budget, and
falls back to one plain call when asked to.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .bon import best_of_n_sampling
from .client import BudgetExhausted, StrategyClient
from .config import MarsConfig
from .mars import multi_agent_reasoning_system
from .mars.answer_extraction import get_answer_after_thinking
from .mcts import MCTSConfig, chat_with_mcts
from .moa import mixture_of_agents
from .self_consistency import advanced_self_consistency_approach

logger = logging.getLogger(__name__)

STRATEGIES = ("moa", "mcts", "bon", "self_consistency", "mars")
LOW_CONFIDENCE = 0.5

__all__ = ["STRATEGIES", "MarsConfig", "MCTSConfig", "StrategyResult", "run_strategy"]


@dataclass
class StrategyResult:
    """What a strategy run gives back.

    ``output`` is what optillm's approach returns (for MARS the synthesis in ``<think>`` tags
    followed by the clean answer); ``answer`` is the answer alone and ``reasoning`` the text in
    the tags (empty for the other strategies). ``usage`` sums the handlers' usage chunks;
    ``calls`` lists every request sent, in order of completion of its call."""

    strategy: str
    answer: str
    output: str
    reasoning: str
    usage: dict[str, int]
    calls: list[dict[str, Any]]
    iterations: int
    metadata: dict[str, Any] = field(default_factory=dict)


async def run_strategy(
    name: str,
    system_prompt: str,
    query: str,
    target: Any,
    config: Any = None,
    rng: random.Random | None = None,
    fallback: bool = False,
    token_budget: int | None = None,
    clock: Callable[[], datetime] | None = None,
) -> StrategyResult:
    """Run strategy ``name`` on ``query``.

    ``config``: a :class:`MarsConfig` for ``mars``, an :class:`MCTSConfig` for ``mcts``, else
    optillm's ``request_config`` dict (``max_tokens``; ``n`` for ``bon``). ``rng`` supplies
    MCTS's and MARS's random draws (a fresh unseeded one when omitted); ``clock`` the time MARS
    puts in its aggregated solutions' ids. ``token_budget`` (else ``MarsConfig.token_budget``)
    caps the input plus output tokens of the run: no call is sent that would exceed it, and the
    best answer so far is returned with ``metadata["budget_exhausted"]``. With ``fallback``, a
    failing strategy is answered by one plain call (``metadata["fallback"]``).
    """
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; known: {', '.join(STRATEGIES)}")
    rng = rng if rng is not None else random.Random()
    if token_budget is None and isinstance(config, MarsConfig):
        token_budget = config.token_budget
    client = StrategyClient(target, name, token_budget)
    metadata: dict[str, Any] = {"strategy": name, "budget_exhausted": False, "fallback": False}
    report: dict[str, Any] = {}
    iterations = 0
    try:
        output, completion_tokens = await _run(name, system_prompt, query, client, config, rng, clock, report)
        iterations = _iterations(name, config, report)
        metadata["completion_tokens"] = completion_tokens
    except BudgetExhausted as stop:
        output = client.best or ""
        metadata["budget_exhausted"] = True
        metadata["budget"] = {"limit": token_budget, "used": client.tokens_used, "reason": str(stop)}
        iterations = int(report.get("iterations", 0))
    except Exception as exc:
        if not fallback:
            raise
        logger.warning("strategy %s failed (%s): answering with one plain call", name, exc)
        metadata["fallback"] = True
        metadata["error"] = f"{type(exc).__name__}: {exc}"
        response = await StrategyClient(target, name, calls=client.calls, usage=client.usage).create(
            messages=[{"role": "system", "content": system_prompt}, {"role": "user", "content": query}]
        )
        output = response.choices[0].message.content or ""
    answer, reasoning = output, ""
    if name == "mars":
        metadata["final_solution_id"] = report.get("final_solution_id")
        metadata["confidence"] = report.get("confidence")
        if output.startswith("<think>\n") and "\n</think>\n\n" in output:
            reasoning = output[len("<think>\n") : output.rindex("\n</think>\n\n")]
            answer = get_answer_after_thinking(output)
        confidence = report.get("confidence")
        if isinstance(confidence, (int, float)) and confidence < LOW_CONFIDENCE:
            logger.warning("MARS answered with low confidence %.2f (%s)", confidence, report.get("final_solution_id"))
    usage = {**client.usage, "totalTokens": client.tokens_used}
    return StrategyResult(name, answer, output, reasoning, usage, client.calls, iterations, metadata)


async def _run(
    name: str,
    system_prompt: str,
    query: str,
    client: StrategyClient,
    config: Any,
    rng: random.Random,
    clock: Callable[[], datetime] | None,
    report: dict[str, Any],
) -> tuple[str, int]:
    if name == "mars":
        mars_config = config if config is not None else MarsConfig()
        return await multi_agent_reasoning_system(
            system_prompt, query, client, mars_config.request_config(), rng, clock or datetime.now, report
        )
    if name == "mcts":
        return await chat_with_mcts(system_prompt, query, client, rng, config)
    request_config = dict(config or {})
    if name == "moa":
        return await mixture_of_agents(system_prompt, query, client, request_config)
    if name == "bon":
        n = request_config.pop("n", 3)
        return await best_of_n_sampling(system_prompt, query, client, n, request_config)
    return await advanced_self_consistency_approach(system_prompt, query, client, request_config)


def _iterations(name: str, config: Any, report: dict[str, Any]) -> int:
    """MARS: improvement rounds run; MCTS: simulations; the others: one round (a run stopped
    by its budget counts MARS's rounds done, else 0)."""
    if name == "mars":
        return int(report.get("iterations", 0))
    if name == "mcts":
        return (config or MCTSConfig()).num_simulations
    return 1
