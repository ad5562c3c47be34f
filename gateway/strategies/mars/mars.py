"""MARS, the multi-agent reasoning system: optillm 0.4.0 ``optillm/mars/mars.py``
(``DEFAULT_CONFIG``, ``LIGHTWEIGHT_CONFIG``, ``multi_agent_reasoning_system``,
``_run_mars_parallel``, ``_run_exploration_phase_parallel``, ``_synthesize_final_solution``).

Phases, in optillm's order: exploration (every agent at once), aggregation, strategy sharing,
verification, improvement rounds, then a vote on the extracted answers or one synthesis call.
optillm's thread pool (``max_workers``) is a :class:`~gateway.strategies.client.TaskPool`
here; ``parallel_exploration=False`` (a setting of the port) runs the tasks one at a time.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..answer_extraction import extract_answer
from ..client import StrategyClient, TaskPool
from .agent import MARSAgent, reasoning_tokens_of
from .aggregator import MARSAggregator
from .answer_extraction import extract_clean_answer, wrap_with_thinking_tags
from .prompts import SYNTHESIS_PROMPT
from .strategy_network import StrategyNetwork
from .verifier import MARSVerifier
from .workspace import AgentSolution, MARSWorkspace

logger = logging.getLogger(__name__)

DEFAULT_CONFIG: dict[str, Any] = {
    "num_agents": 3,
    "max_iterations": 5,
    "verification_passes_required": 2,
    "consensus_threshold": 2,
    "min_verified_solutions": 1,
    "max_tokens": 64000,
    "max_verification_attempts": 3,
    "early_termination": True,
    "use_reasoning_api": True,
    "enable_aggregation": True,
    "population_size": 6,
    "aggregation_size": 3,
    "aggregation_loops": 3,
    "enable_strategy_network": True,
    "strategy_extraction_enabled": True,
    "cross_agent_enhancement": True,
    "use_thinking_tags": True,
    "answer_extraction_mode": "auto",
}

LIGHTWEIGHT_CONFIG: dict[str, Any] = {
    "num_agents": 2,
    "max_iterations": 2,
    "verification_passes_required": 1,
    "consensus_threshold": 1,
    "min_verified_solutions": 1,
    "max_tokens": 4000,
    "max_verification_attempts": 2,
    "early_termination": True,
    "use_reasoning_api": True,
    "enable_aggregation": False,
    "enable_strategy_network": False,
    "strategy_extraction_enabled": False,
    "cross_agent_enhancement": False,
    "use_thinking_tags": True,
    "answer_extraction_mode": "auto",
}

LIGHTWEIGHT_MAX_TOKENS = 4000
SYNTHESIS_SYSTEM_PROMPT = "You are a mathematical synthesis expert."
SYNTHESIS_FAILURE = "Unable to generate solution due to synthesis failure."


def resolve_config(request_config: dict[str, Any] | None) -> dict[str, Any]:
    """optillm's configuration for a request: the lightweight one when ``max_tokens`` ≤ 4,000,
    then ``mars_config`` on top, then the request's ``max_tokens``."""
    request_config = request_config or {}
    lightweight = request_config.get("max_tokens", 64000) <= LIGHTWEIGHT_MAX_TOKENS
    config = dict(LIGHTWEIGHT_CONFIG if lightweight else DEFAULT_CONFIG)
    config.update(request_config.get("mars_config") or {})
    if "max_tokens" in request_config:
        config["max_tokens"] = request_config["max_tokens"]
    return config


async def multi_agent_reasoning_system(
    system_prompt: str,
    initial_query: str,
    client: StrategyClient,
    request_config: dict[str, Any] | None = None,
    rng: random.Random | None = None,
    clock: Callable[[], datetime] = datetime.now,
    report: dict[str, Any] | None = None,
) -> tuple[str, int]:
    """``multi_agent_reasoning_system``: the answer (reasoning in ``<think>`` tags when
    ``use_thinking_tags``) and the reasoning tokens. ``report`` receives ``final_solution_id``,
    ``confidence``, ``iterations`` and the workspace summary."""
    report = report if report is not None else {}
    rng = rng or random.Random()
    config = resolve_config(request_config)
    max_workers = max(config["num_agents"], config["num_agents"] * min(2, config["verification_passes_required"]))
    if not config.get("parallel_exploration", True):
        max_workers = 1
    executor = TaskPool(max_workers)
    workspace = MARSWorkspace(initial_query, config)
    total_reasoning_tokens = 0
    report["iterations"] = 0
    try:
        agents = [MARSAgent(i, client, config) for i in range(config["num_agents"])]
        total_reasoning_tokens += await _run_exploration_phase_parallel(agents, workspace, executor)
        _note_best(client, workspace)

        if config.get("enable_aggregation", True):
            aggregator = MARSAggregator(client, config, rng, clock)
            aggregation_tokens, _ = await aggregator.run_aggregation_loops(workspace, executor)
            total_reasoning_tokens += aggregation_tokens
            _note_best(client, workspace)

        if config.get("enable_strategy_network", True):
            network = StrategyNetwork(client, config, clock)
            if config.get("strategy_extraction_enabled", True):
                extracted = await network.extract_strategies_from_solutions(workspace, executor)
                if config.get("cross_agent_enhancement", True) and extracted:
                    await network.share_strategies_across_agents(workspace, extracted, executor)
                    _note_best(client, workspace)

        verifier = MARSVerifier(agents, workspace, config)
        await verifier.verify_solutions_parallel(executor)
        _note_best(client, workspace)

        iteration_count = 0
        while workspace.should_continue_iteration() and iteration_count < config["max_iterations"]:
            iteration_count += 1
            improvement = await verifier.iterative_improvement_parallel(executor)
            total_reasoning_tokens += improvement["total_reasoning_tokens"]
            await verifier.verify_solutions_parallel(executor)
            _note_best(client, workspace)
            report["iterations"] = iteration_count
            if config["early_termination"] and workspace.has_consensus():
                break
            workspace.iteration_count = iteration_count

        final_solution, synthesis_tokens, chosen = await _synthesize_final_solution(workspace, client, config)
        total_reasoning_tokens += synthesis_tokens
        workspace.set_final_solution(final_solution)
        report["final_solution_id"], report["confidence"] = chosen
        report["summary"] = workspace.get_summary()

        if config.get("use_thinking_tags", True):
            try:
                clean = extract_clean_answer(final_solution, mode=config.get("answer_extraction_mode", "auto"))
                return wrap_with_thinking_tags(final_solution, clean), total_reasoning_tokens
            except Exception as exc:
                logger.warning("MARS answer extraction failed: %s", exc)
                return final_solution, total_reasoning_tokens
        return final_solution, total_reasoning_tokens
    except Exception as exc:
        logger.error("MARS failed: %s", exc)
        error_response = f"MARS system encountered an error: {exc}\n\nAttempting direct solution approach..."
        try:
            solution, tokens = await MARSAgent(0, client, config).generate_solution(initial_query)
            report["final_solution_id"], report["confidence"] = "fallback_agent_0", solution.confidence
            return solution.solution, tokens
        except Exception:
            report["final_solution_id"], report["confidence"] = None, 0.0
            return error_response, 0


def _note_best(client: StrategyClient, workspace: MARSWorkspace) -> None:
    """Keep the answer a stopped run returns: the workspace's best solution so far."""
    best = workspace.get_best_solution()
    if best is not None:
        client.best = best.solution


async def _run_exploration_phase_parallel(
    agents: list[MARSAgent], workspace: MARSWorkspace, executor: TaskPool
) -> int:
    async def generate(agent: MARSAgent) -> tuple[int, AgentSolution | None, int, Exception | None]:
        try:
            solution, tokens = await agent.generate_solution(workspace.problem)
            return agent.agent_id, solution, tokens, None
        except Exception as exc:
            return agent.agent_id, None, 0, exc

    total_tokens = 0
    for result in await executor.gather([generate(agent) for agent in agents]):
        if isinstance(result, Exception):
            continue
        _, solution, tokens, error = result
        if error is None and solution is not None:
            workspace.add_solution(solution)
            total_tokens += tokens
    return total_tokens


def _extracted_answers(workspace: MARSWorkspace) -> tuple[list[tuple[int, AgentSolution]], list[tuple[str, AgentSolution, str]]]:
    """optillm's vote input: numeric answers (the first number math-verify or the patterns give
    for a solution) and every extracted answer with how it was found."""
    numerical: list[tuple[int, AgentSolution]] = []
    info: list[tuple[str, AgentSolution, str]] = []
    for solution in workspace.solutions:
        extracted = extract_answer(solution.solution, problem_type="imo", problem_id=None)
        if extracted is None:
            continue
        answers = extracted if isinstance(extracted, list) else [extracted]
        for ans in answers:
            if isinstance(ans, (int, float)):
                numerical.append((int(ans), solution))
                info.append((str(int(ans)), solution, "unified_numeric"))
                break
            if isinstance(ans, str) and ans.strip():
                info.append((ans, solution, "unified_formula"))
                break
            if isinstance(ans, set):
                info.append(("{" + ", ".join(map(str, sorted(ans))) + "}", solution, "unified_set"))
                break
        # optillm's test: no non-empty string among the answers (a number alone counts too)
        if not any(isinstance(a, str) and a.strip() for a in answers):
            info.append((str(extracted), solution, "unified_other"))
    return numerical, info


async def _synthesize_final_solution(
    workspace: MARSWorkspace, client: StrategyClient, config: dict[str, Any]
) -> tuple[str, int, tuple[str | None, float]]:
    """The verified best solution; else the most confident of 2+ agreeing numeric answers;
    else one synthesis call over the first three solutions. Also returns which solution (its
    ``agent_<id>``, ``synthesis`` or ``fallback_<id>``) and its confidence (for a synthesis,
    the mean confidence of the solutions it was given)."""
    best = workspace.get_best_solution()
    if best and best.is_verified:
        return best.solution, 0, (f"agent_{best.agent_id}", best.confidence)

    numerical, info = _extracted_answers(workspace)
    workspace.extracted_answers_info = workspace.extracted_answers_info + info
    if len(numerical) >= 2:
        answer, count = Counter(ans for ans, _ in numerical).most_common()[0]
        if count >= 2:
            winner = max((sol for ans, sol in numerical if ans == answer), key=lambda s: s.confidence)
            return winner.solution, 0, (f"agent_{winner.agent_id}", winner.confidence)

    synthesis_data = workspace.get_synthesis_input()
    solutions_used = synthesis_data["solutions"][:3]
    agent_solutions_text = ""
    for sol in solutions_used:
        agent_solutions_text += f"\nAgent {sol['agent_id']} (confidence: {sol['confidence']:.2f}):\n"
        agent_solutions_text += sol["solution"]
        agent_solutions_text += "\n" + "=" * 50 + "\n"
    verification_text = f"Verification Summary: {synthesis_data['verification_summary']}"
    extracted_text = ""
    if workspace.extracted_answers_info:
        extracted_text = "\n\nEXTRACTED ANSWERS FROM AGENTS:\n"
        for answer_text, solution, method in workspace.extracted_answers_info:
            extracted_text += f"- Agent {solution.agent_id}: '{answer_text}' (via {method})\n"
        extracted_text += "\nIMPORTANT: If multiple agents extracted the same answer, prioritize it in your synthesis.\n"
        extracted_text += "Ensure the final answer is clearly formatted and matches the expected answer format.\n"
    prompt = (
        SYNTHESIS_PROMPT.format(
            problem=workspace.problem, agent_solutions=agent_solutions_text, verification_results=verification_text
        )
        + extracted_text
    )
    confidence = sum(s["confidence"] for s in solutions_used) / len(solutions_used) if solutions_used else 0.0
    try:
        response = await client.create(
            messages=[
                {"role": "system", "content": SYNTHESIS_SYSTEM_PROMPT},
                {"role": "user", "content": prompt},
            ],
            max_tokens=config["max_tokens"],
            temperature=0.3,
            timeout=300,
            extra_body={"reasoning": {"effort": "high"}},
        )
        return response.choices[0].message.content.strip(), reasoning_tokens_of(response.usage), ("synthesis", confidence)
    except Exception as exc:
        logger.error("MARS synthesis failed: %s", exc)
        if workspace.solutions:
            fallback = max(workspace.solutions, key=lambda s: s.verification_score)
            return fallback.solution, 0, (f"fallback_{fallback.agent_id}", fallback.confidence)
        return SYNTHESIS_FAILURE, 0, (None, 0.0)
