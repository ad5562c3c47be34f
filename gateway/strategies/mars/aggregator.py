"""MARS recursive self-aggregation: optillm 0.4.0 ``optillm/mars/aggregator.py``
(``MARSAggregator``), async.

``aggregation_loops`` times: sample groups of ``aggregation_size`` solutions (the best by
verification score; one per agent; then random groups, drawn from the caller's
``random.Random``), aggregate each group concurrently at temperature 0.7, add the results and
keep the ``population_size`` best. An aggregated solution's id is ``agg_`` + the clock's
``%H%M%S``, as in optillm (the clock is passed in so a run can be replayed).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..client import StrategyClient, TaskPool
from .agent import reasoning_tokens_of
from .prompts import MULTI_AGGREGATION_PROMPT, SINGLE_REFINEMENT_PROMPT
from .workspace import AgentSolution, MARSWorkspace

logger = logging.getLogger(__name__)

AGGREGATION_SYSTEM_PROMPT = (
    "You are a mathematical reasoning expert focused on solution aggregation and refinement."
)


class MARSAggregator:
    def __init__(
        self,
        client: StrategyClient,
        config: dict[str, Any],
        rng: random.Random,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.client = client
        self.config = config
        self.rng = rng
        self.clock = clock
        self.population_size = config.get("population_size", 6)
        self.aggregation_size = config.get("aggregation_size", 3)
        self.aggregation_loops = config.get("aggregation_loops", 3)
        self.max_tokens = config.get("max_tokens", 30000)

    async def run_aggregation_loops(self, workspace: MARSWorkspace, executor: TaskPool) -> tuple[int, dict[str, Any]]:
        total_reasoning_tokens = 0
        history = []
        for loop_idx in range(self.aggregation_loops):
            loop_tokens, loop_summary = await self._run_single_aggregation_loop(workspace, executor)
            total_reasoning_tokens += loop_tokens
            history.append({"loop": loop_idx, "tokens": loop_tokens, "summary": loop_summary})
        return total_reasoning_tokens, {
            "total_loops": self.aggregation_loops,
            "total_reasoning_tokens": total_reasoning_tokens,
            "final_population_size": len(workspace.solutions),
            "aggregation_history": history,
        }

    async def _run_single_aggregation_loop(
        self, workspace: MARSWorkspace, executor: TaskPool
    ) -> tuple[int, dict[str, Any]]:
        sampled = self._sample_solutions_for_aggregation(workspace)
        new_solutions, total_tokens = await self._generate_aggregated_solutions(workspace, sampled, executor)
        self._update_population(workspace, new_solutions)
        return total_tokens, {
            "sampled_solutions": len(sampled),
            "solutions_generated": len(new_solutions),
            "population_size": len(workspace.solutions),
            "total_tokens": total_tokens,
        }

    def _sample_solutions_for_aggregation(self, workspace: MARSWorkspace) -> list[list[AgentSolution]]:
        all_solutions = workspace.solutions
        if len(all_solutions) < self.aggregation_size:
            return [all_solutions]
        samples = []
        for i in range(min(self.population_size // self.aggregation_size, 3)):
            if i == 0:
                sample = sorted(all_solutions, key=lambda s: s.verification_score, reverse=True)[: self.aggregation_size]
            elif i == 1:
                by_agent: dict[str, list[AgentSolution]] = {}
                for sol in all_solutions:
                    by_agent.setdefault(sol.agent_id, []).append(sol)
                # optillm adds one only once the sample is non-empty: the loop adds nothing
                sample = []
                for agent_solutions in by_agent.values():
                    if sample and len(sample) < self.aggregation_size:
                        sample.append(max(agent_solutions, key=lambda s: s.confidence))
                    if len(sample) >= self.aggregation_size:
                        break
                if len(sample) < self.aggregation_size:
                    remaining = [s for s in all_solutions if s not in sample]
                    sample.extend(
                        sorted(remaining, key=lambda s: s.verification_score, reverse=True)[
                            : self.aggregation_size - len(sample)
                        ]
                    )
            else:
                sample = self.rng.sample(all_solutions, min(self.aggregation_size, len(all_solutions)))
            samples.append(sample)
        return samples

    async def _generate_aggregated_solutions(
        self, workspace: MARSWorkspace, groups: list[list[AgentSolution]], executor: TaskPool
    ) -> tuple[list[AgentSolution], int]:
        async def aggregate(solutions: list[AgentSolution]) -> tuple[AgentSolution | None, int]:
            try:
                if len(solutions) == 1:
                    prompt = SINGLE_REFINEMENT_PROMPT.format(
                        problem=workspace.problem, candidate_solution=solutions[0].solution
                    )
                else:
                    candidate_text = ""
                    for i, sol in enumerate(solutions):
                        candidate_text += f"Solution {i + 1} (Agent {sol.agent_id}, confidence: {sol.confidence:.2f}):\n"
                        candidate_text += sol.solution + "\n\n"
                    prompt = MULTI_AGGREGATION_PROMPT.format(problem=workspace.problem, candidate_solutions=candidate_text)
                solution, tokens = await self._call_model_for_aggregation(prompt)
                if solution:
                    return (
                        AgentSolution(
                            agent_id=f"agg_{self.clock().strftime('%H%M%S')}",
                            solution=solution,
                            confidence=0.8,
                            reasoning_tokens=tokens,
                            total_tokens=tokens,
                            solution_length=len(solution),
                            is_verified=False,
                            verification_score=0.0,
                        ),
                        tokens,
                    )
                return None, tokens
            except Exception as exc:
                logger.error("Aggregation failed: %s", exc)
                return None, 0

        new_solutions = []
        total_tokens = 0
        for result in await executor.gather([aggregate(group) for group in groups]):
            if isinstance(result, Exception):
                continue
            solution, tokens = result
            if solution:
                new_solutions.append(solution)
            total_tokens += tokens
        return new_solutions, total_tokens

    async def _call_model_for_aggregation(self, prompt: str) -> tuple[str, int]:
        try:
            response = await self.client.create(
                messages=[
                    {"role": "system", "content": AGGREGATION_SYSTEM_PROMPT},
                    {"role": "user", "content": prompt},
                ],
                max_tokens=self.max_tokens,
                temperature=0.7,
                timeout=300,
                extra_body={"reasoning": {"effort": "high"}},
            )
            return response.choices[0].message.content.strip(), reasoning_tokens_of(response.usage)
        except Exception as exc:
            logger.error("Model call for aggregation failed: %s", exc)
            return "", 0

    def _update_population(self, workspace: MARSWorkspace, new_solutions: list[AgentSolution]) -> None:
        for solution in new_solutions:
            workspace.add_solution(solution)
        if len(workspace.solutions) > self.population_size:
            workspace.solutions = sorted(
                workspace.solutions, key=lambda s: (s.verification_score, s.confidence), reverse=True
            )[: self.population_size]
