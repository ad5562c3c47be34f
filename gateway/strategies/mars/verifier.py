"""MARS verification and improvement: optillm 0.4.0 ``optillm/mars/verifier.py``
(``MARSVerifier``; its parallel variants, which are the ones MARS runs), async.

Each solution is verified by the agent whose temperature differs most from its author's, up to
``max_verification_attempts`` times, stopping after ``verification_passes_required`` CORRECT in a
row; a solution whose latest verification is INCORRECT or INCOMPLETE is to be improved by its
author. Solutions are verified (and improved) concurrently, each one's attempts in order.

optillm finds the author with ``agent.agent_id`` (an int) against ``solution.agent_id`` (a str):
they never compare equal, so every verification goes to agent 0 and no solution is ever
improved. Kept as is: it is what optillm 0.4.0 sends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..client import TaskPool
from .agent import MARSAgent
from .workspace import AgentSolution, MARSWorkspace, VerificationResult

logger = logging.getLogger(__name__)


class MARSVerifier:
    def __init__(self, agents: list[MARSAgent], workspace: MARSWorkspace, config: dict[str, Any]) -> None:
        self.agents = agents
        self.workspace = workspace
        self.config = config
        self.verification_threshold = config.get("verification_passes_required", 5)

    async def verify_solutions_parallel(self, executor: TaskPool) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "total_verifications": 0,
            "solutions_verified": 0,
            "consensus_reached": False,
            "verification_details": [],
        }
        solutions = self.workspace.solutions
        if not solutions:
            return summary

        start = len(self.workspace.verification_results)
        task_of: dict[int, int] = {}

        async def verify(index: int, solution: AgentSolution) -> dict[str, Any]:
            try:
                return await self._verify_single_solution(solution, lambda v: task_of.__setitem__(id(v), index))
            except Exception as exc:
                logger.error("Verification failed for solution from agent %s: %s", solution.agent_id, exc)
                return {
                    "solution_agent_id": solution.agent_id,
                    "verification_count": 0,
                    "consecutive_passes": 0,
                    "passes_threshold": False,
                    "verification_results": [],
                }

        results = await executor.gather([verify(i, s) for i, s in enumerate(solutions)])
        # the phase's verifications in solution order (each solution's in its own order): the
        # order optillm's pool gives when calls return in turn; it is what the summary's float
        # average is summed in
        new = self.workspace.verification_results[start:]
        new.sort(key=lambda v: task_of.get(id(v), len(solutions)))
        self.workspace.verification_results[start:] = new
        for result in results:
            if isinstance(result, Exception):
                continue
            summary["verification_details"].append(result)
            summary["total_verifications"] += result["verification_count"]
            if result["passes_threshold"]:
                summary["solutions_verified"] += 1
        summary["consensus_reached"] = len(self.workspace.get_verified_solutions()) >= self.config.get(
            "consensus_threshold", 2
        )
        return summary

    async def _verify_single_solution(
        self, solution: AgentSolution, note: Callable[[VerificationResult], None] = lambda v: None
    ) -> dict[str, Any]:
        verification_results = []
        consecutive_passes = 0
        for attempt in range(self.config.get("max_verification_attempts", 10)):
            verifier_agent = self._select_verifier_agent(solution.agent_id)
            if not verifier_agent:
                break
            try:
                verification = await verifier_agent.verify_solution(
                    problem=self.workspace.problem,
                    solution=solution.solution,
                    verifier_id=verifier_agent.agent_id,
                    solution_agent_id=solution.agent_id,
                )
                verification_results.append(verification)
                note(verification)
                self.workspace.add_verification(verification)
                if verification.assessment == "CORRECT":
                    consecutive_passes += 1
                    if consecutive_passes >= self.verification_threshold:
                        break
                else:
                    consecutive_passes = 0
            except Exception as exc:
                logger.error("Verification attempt %d failed: %s", attempt + 1, exc)
                consecutive_passes = 0
        return {
            "solution_agent_id": solution.agent_id,
            "verification_count": len(verification_results),
            "consecutive_passes": consecutive_passes,
            "passes_threshold": consecutive_passes >= self.verification_threshold,
            "verification_results": [
                {
                    "verifier_id": v.verifier_id,
                    "assessment": v.assessment,
                    "confidence": v.confidence,
                    "issues_count": len(v.issues),
                }
                for v in verification_results
            ],
        }

    def _select_verifier_agent(self, solution_agent_id: Any) -> MARSAgent | None:
        """Another agent than the author (any agent when there is none), the one whose
        temperature is furthest from the author's first (a stable sort keeps agent order on ties).

        As in optillm, the author is compared by ``agent.agent_id != solution_agent_id`` with an
        int against the solution's str id, so the author is never excluded."""
        available = [agent for agent in self.agents if agent.agent_id != solution_agent_id]
        if not available:
            available = list(self.agents)
        if len(available) > 1:
            author = next((a for a in self.agents if a.agent_id == solution_agent_id), None)
            if author:
                available.sort(key=lambda a: abs(a.temperature - author.temperature), reverse=True)
        return available[0] if available else None

    async def iterative_improvement_parallel(self, executor: TaskPool) -> dict[str, Any]:
        summary = {"solutions_improved": 0, "improvement_attempts": 0, "total_reasoning_tokens": 0}
        improvable = []
        for solution in [s for s in self.workspace.solutions if not s.is_verified]:
            if solution.verification_results:
                latest = solution.verification_results[-1]
                if latest["assessment"] in ["INCORRECT", "INCOMPLETE"]:
                    author = next((a for a in self.agents if a.agent_id == solution.agent_id), None)
                    if author:
                        improvable.append((solution, author, latest))
        if not improvable:
            return summary

        async def improve(solution: AgentSolution, agent: MARSAgent, verification: dict[str, Any]) -> tuple[Any, ...]:
            try:
                improved, reasoning_tokens = await agent.improve_solution(
                    self.workspace.problem, solution.solution, verification["detailed_report"], verification["issues"]
                )
                solution.solution = improved
                solution.reasoning_tokens += reasoning_tokens
                return solution.agent_id, True, reasoning_tokens, None
            except Exception as exc:
                return solution.agent_id, False, 0, exc

        for result in await executor.gather([improve(*item) for item in improvable]):
            summary["improvement_attempts"] += 1
            if isinstance(result, Exception):
                continue
            _, success, tokens, _ = result
            if success:
                summary["solutions_improved"] += 1
                summary["total_reasoning_tokens"] += tokens
        return summary
