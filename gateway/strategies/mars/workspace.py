"""The MARS shared workspace: optillm 0.4.0 ``optillm/mars/workspace.py`` (``AgentSolution``,
``VerificationResult``, ``MARSWorkspace``).

Kept as optillm has it, including how a verification finds its solution: the agent id is the
second ``_``-separated field of ``agent_<id>_iter_0``, so the solutions of aggregated
(``agg_…``) and enhanced (``enhanced_…``) agents never collect verifications.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

logger = logging.getLogger(__name__)


@dataclass
class AgentSolution:
    agent_id: str
    solution: str
    confidence: float
    reasoning_tokens: int
    total_tokens: int
    solution_length: int
    is_verified: bool = False
    verification_score: float = 0.0
    temperature: float = 0.7
    timestamp: datetime = field(default_factory=datetime.now)
    verification_results: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class VerificationResult:
    verifier_id: int
    solution_id: str
    assessment: str  # CORRECT, INCORRECT, INCOMPLETE
    confidence: float
    issues: list[str]
    suggestions: list[str]
    detailed_report: str
    timestamp: datetime


class MARSWorkspace:
    def __init__(self, problem: str, config: dict[str, Any]) -> None:
        self.problem = problem
        self.config = config
        self.solutions: list[AgentSolution] = []
        self.verification_results: list[VerificationResult] = []
        self.final_solution: str | None = None
        self.iteration_count = 0
        self.total_reasoning_tokens = 0
        self.extracted_answers_info: list[tuple[str, AgentSolution, str]] = []

    def add_solution(self, agent_solution: AgentSolution) -> str:
        solution_id = f"agent_{agent_solution.agent_id}_iter_{self.iteration_count}"
        self.solutions.append(agent_solution)
        self.total_reasoning_tokens += agent_solution.reasoning_tokens
        return solution_id

    def add_verification(self, verification: VerificationResult) -> None:
        """Record a verification on its solution: score = share of CORRECT assessments; verified
        after ``verification_passes_required`` CORRECT ones in a row (the latest ones)."""
        self.verification_results.append(verification)
        if not verification.solution_id.startswith("agent_"):
            return
        agent_id_str = verification.solution_id.split("_")[1]
        for solution in self.solutions:
            if str(solution.agent_id) == agent_id_str:
                solution.verification_results.append(
                    {
                        "assessment": verification.assessment,
                        "confidence": verification.confidence,
                        "issues": verification.issues,
                        "detailed_report": verification.detailed_report,
                    }
                )
                results = solution.verification_results
                correct = len([v for v in results if v["assessment"] == "CORRECT"])
                solution.verification_score = correct / len(results) if results else 0
                consecutive_correct = 0
                for v in reversed(results):
                    if v["assessment"] != "CORRECT":
                        break
                    consecutive_correct += 1
                solution.is_verified = consecutive_correct >= self.config.get("verification_passes_required", 5)
                break

    def get_verified_solutions(self) -> list[AgentSolution]:
        return [s for s in self.solutions if s.is_verified]

    def get_best_solution(self) -> AgentSolution | None:
        """The most confident verified solution, else the best verification score (first on ties)."""
        if not self.solutions:
            return None
        verified = self.get_verified_solutions()
        if verified:
            return max(verified, key=lambda s: s.confidence)
        return max(self.solutions, key=lambda s: s.verification_score)

    def has_consensus(self) -> bool:
        return len(self.get_verified_solutions()) >= self.config.get("consensus_threshold", 2)

    def should_continue_iteration(self) -> bool:
        return self.iteration_count < self.config.get("max_iterations", 5) and len(
            self.get_verified_solutions()
        ) < self.config.get("min_verified_solutions", 1)

    def get_synthesis_input(self) -> dict[str, Any]:
        return {
            "problem": self.problem,
            "solutions": [
                {
                    "agent_id": s.agent_id,
                    "solution": s.solution,
                    "confidence": s.confidence,
                    "verification_score": s.verification_score,
                    "verification_results": s.verification_results,
                }
                for s in self.solutions
            ],
            "verification_summary": self._get_verification_summary(),
            "total_reasoning_tokens": self.total_reasoning_tokens,
        }

    def _get_verification_summary(self) -> dict[str, Any]:
        total = len(self.verification_results)
        if total == 0:
            return {"total": 0, "correct": 0, "incorrect": 0, "incomplete": 0}
        assessments = [v.assessment for v in self.verification_results]
        return {
            "total": total,
            "correct": assessments.count("CORRECT"),
            "incorrect": assessments.count("INCORRECT"),
            "incomplete": assessments.count("INCOMPLETE"),
            "avg_confidence": sum(v.confidence for v in self.verification_results) / total,
        }

    def set_final_solution(self, solution: str) -> None:
        self.final_solution = solution

    def get_summary(self) -> dict[str, Any]:
        return {
            "problem": self.problem,
            "total_solutions": len(self.solutions),
            "verified_solutions": len(self.get_verified_solutions()),
            "total_verifications": len(self.verification_results),
            "iterations_completed": self.iteration_count,
            "total_reasoning_tokens": self.total_reasoning_tokens,
            "has_consensus": self.has_consensus(),
            "final_solution": self.final_solution,
            "verification_summary": self._get_verification_summary(),
        }
