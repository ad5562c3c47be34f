"""MARS cross-agent strategy sharing: optillm 0.4.0 ``optillm/mars/strategy_network.py``
(``ReasoningStrategy``, ``StrategyNetwork``), async.

Each agent's own solution is analysed for its strategy (concurrently, temperature 0.3, a quarter
of the token limit); the problem is classified once (0.1, 50 tokens); then every agent rewrites
its solution with up to two peers' strategies (concurrently, 0.9 × its temperature) and the
rewrites join the workspace as ``enhanced_<id>``. optillm's effectiveness tracking only feeds
its log lines and is left out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..client import StrategyClient, TaskPool
from .agent import reasoning_tokens_of
from .workspace import AgentSolution, MARSWorkspace

logger = logging.getLogger(__name__)

EXTRACTION_SYSTEM_PROMPT = "You are a mathematical strategy analysis expert. Extract reasoning patterns from solutions."
CLASSIFICATION_SYSTEM_PROMPT = "You are a mathematical problem classifier."
ENHANCEMENT_SYSTEM_PROMPT = "You are a collaborative mathematical agent learning from peer insights."
VALID_PROBLEM_TYPES = ["algebra", "geometry", "combinatorics", "number_theory", "calculus", "discrete_math", "probability"]

STRATEGY_EXTRACTION_PROMPT = """Analyze this mathematical solution and extract the key reasoning strategy:

Problem: {problem}

Agent Solution:
{solution}

Extract the following strategy components:

1. PROBLEM_TYPE: Classify as one of [algebra, geometry, combinatorics, number_theory, calculus, discrete_math, probability]

2. APPROACH_TYPE: Identify the main approach [direct_computation, proof_by_contradiction, constructive_proof, case_analysis, induction, algebraic_manipulation, geometric_visualization, pattern_recognition, reduction_to_known_problem]

3. KEY_INSIGHTS: List 2-3 key mathematical insights that enabled the solution

4. MATHEMATICAL_TECHNIQUES: List specific techniques used [substitution, factorization, coordinate_geometry, symmetry, pigeonhole_principle, etc.]

5. SOLUTION_PATTERN: Describe the general pattern/template of this solution approach

6. SUCCESS_INDICATORS: What makes this approach particularly effective for this type of problem?

Format your response as:
PROBLEM_TYPE: [type]
APPROACH_TYPE: [approach]
KEY_INSIGHTS: [insight1], [insight2], [insight3]
MATHEMATICAL_TECHNIQUES: [technique1], [technique2], [technique3]
SOLUTION_PATTERN: [pattern description]
SUCCESS_INDICATORS: [indicator1], [indicator2]"""

CLASSIFICATION_PROMPT = """Classify this mathematical problem into one category:

Problem: {problem}

Categories: [algebra, geometry, combinatorics, number_theory, calculus, discrete_math, probability]

Respond with just the category name."""

ENHANCEMENT_PROMPT = """You are Agent {agent_id} collaborating with other mathematical agents.

Original Problem: {problem}

Your Current Solution:
{solution}

Peer Agent Strategy Insights:
{strategy_insights}

Task: Enhance your solution by incorporating the most valuable insights from your peers while maintaining your unique approach. Consider:

1. Can any peer techniques strengthen your solution?
2. Do peer insights reveal gaps in your reasoning?
3. Can you combine approaches for a more robust solution?
4. What verification steps from peers could improve confidence?

Provide an enhanced solution that synthesizes the best ideas while ensuring mathematical rigor.

Enhanced Solution:"""


@dataclass
class ReasoningStrategy:
    strategy_id: str
    agent_id: str
    problem_type: str
    approach_type: str
    key_insights: list[str]
    mathematical_techniques: list[str]
    solution_pattern: str
    confidence: float
    success_indicators: list[str]
    timestamp: datetime = field(default_factory=datetime.now)


def parse_strategy_analysis(analysis: str) -> dict[str, Any] | None:
    """``KEY: value`` lines: problem/approach type as text, insights, techniques and indicators
    split at commas, the pattern as text; ``None`` when no key was found."""
    data: dict[str, Any] = {}
    for line in analysis.split("\n"):
        line = line.strip()
        if ":" not in line:
            continue
        key, value = line.split(":", 1)
        key = key.strip().lower()
        value = value.strip()
        if key == "problem_type":
            data["problem_type"] = value
        elif key == "approach_type":
            data["approach_type"] = value
        elif "insights" in key:
            data["key_insights"] = [v.strip() for v in value.split(",")]
        elif "techniques" in key:
            data["mathematical_techniques"] = [v.strip() for v in value.split(",")]
        elif "pattern" in key:
            data["solution_pattern"] = value
        elif "indicators" in key:
            data["success_indicators"] = [v.strip() for v in value.split(",")]
    return data or None


class StrategyNetwork:
    def __init__(
        self, client: StrategyClient, config: dict[str, Any], clock: Callable[[], datetime] = datetime.now
    ) -> None:
        self.client = client
        self.config = config
        self.clock = clock
        self.max_tokens = config.get("max_tokens", 30000)
        self.problem_type_cache: dict[str, str] = {}

    async def extract_strategies_from_solutions(
        self, workspace: MARSWorkspace, executor: TaskPool
    ) -> dict[str, ReasoningStrategy]:
        calls = [
            self._extract_strategy(solution, workspace.problem)
            for solution in workspace.solutions
            if not solution.agent_id.startswith("agg_")
        ]
        extracted: dict[str, ReasoningStrategy] = {}
        for result in await executor.gather(calls):
            if isinstance(result, Exception) or not result:
                continue
            extracted[result.strategy_id] = result
        return extracted

    async def _extract_strategy(self, solution: AgentSolution, problem: str) -> ReasoningStrategy | None:
        prompt = STRATEGY_EXTRACTION_PROMPT.format(problem=problem, solution=solution.solution)
        try:
            response = await self.client.create(
                messages=[
                    {"role": "system", "content": EXTRACTION_SYSTEM_PROMPT},
                    {"role": "user", "content": prompt},
                ],
                max_tokens=self.max_tokens // 4,
                temperature=0.3,
                timeout=120,
                extra_body={"reasoning": {"effort": "medium"}},
            )
            data = parse_strategy_analysis(response.choices[0].message.content.strip())
            if not data:
                return None
            return ReasoningStrategy(
                strategy_id=f"strategy_{solution.agent_id}_{self.clock().strftime('%H%M%S')}",
                agent_id=solution.agent_id,
                problem_type=data.get("problem_type", "unknown"),
                approach_type=data.get("approach_type", "unknown"),
                key_insights=data.get("key_insights", []),
                mathematical_techniques=data.get("mathematical_techniques", []),
                solution_pattern=data.get("solution_pattern", ""),
                confidence=solution.confidence,
                success_indicators=data.get("success_indicators", []),
            )
        except Exception as exc:
            logger.error("Strategy extraction failed for agent %s: %s", solution.agent_id, exc)
            return None

    async def share_strategies_across_agents(
        self, workspace: MARSWorkspace, extracted: dict[str, ReasoningStrategy], executor: TaskPool
    ) -> dict[str, list[str]]:
        problem_type = await self._classify_problem_type(workspace.problem, executor)
        effective = self._get_effective_strategies_for_type(problem_type, extracted)
        calls = []
        agent_strategies: dict[str, list[str]] = {}
        for solution in workspace.solutions:
            if solution.agent_id.startswith("agg_"):
                continue
            peers = [s for s in effective.values() if s.agent_id != solution.agent_id]
            if peers:
                agent_strategies[solution.agent_id] = [s.strategy_id for s in peers]
                calls.append(self._generate_strategy_enhanced_solution(solution, workspace.problem, peers))
        if calls:
            for result in await executor.gather(calls):
                if isinstance(result, Exception) or not result:
                    continue
                workspace.add_solution(result)
        return agent_strategies

    async def _classify_problem_type(self, problem: str, executor: TaskPool) -> str:
        if problem in self.problem_type_cache:
            return self.problem_type_cache[problem]
        problem_type = await executor.run(self._classify_problem_with_llm(problem))
        self.problem_type_cache[problem] = problem_type
        return problem_type

    async def _classify_problem_with_llm(self, problem: str) -> str:
        try:
            response = await self.client.create(
                messages=[
                    {"role": "system", "content": CLASSIFICATION_SYSTEM_PROMPT},
                    {"role": "user", "content": CLASSIFICATION_PROMPT.format(problem=problem)},
                ],
                max_tokens=50,
                temperature=0.1,
                timeout=60,
                extra_body={"reasoning": {"effort": "low"}},
            )
            classification = response.choices[0].message.content.strip().lower()
            return classification if classification in VALID_PROBLEM_TYPES else "algebra"
        except Exception as exc:
            logger.error("Problem classification failed: %s", exc)
            return "algebra"

    def _get_effective_strategies_for_type(
        self, problem_type: str, extracted: dict[str, ReasoningStrategy]
    ) -> dict[str, ReasoningStrategy]:
        """The strategies of this type (or ``unknown``) with confidence ≥ 0.6, else the two most
        confident ones."""
        relevant = {
            sid: s
            for sid, s in extracted.items()
            if (s.problem_type == problem_type or s.problem_type == "unknown") and s.confidence >= 0.6
        }
        if not relevant:
            relevant = dict(sorted(extracted.items(), key=lambda x: x[1].confidence, reverse=True)[:2])
        return relevant

    async def _generate_strategy_enhanced_solution(
        self, original: AgentSolution, problem: str, peers: list[ReasoningStrategy]
    ) -> AgentSolution | None:
        insights = ""
        for strategy in peers[:2]:
            insights += f"\nPeer Strategy from Agent {strategy.agent_id}:\n"
            insights += f"- Approach: {strategy.approach_type}\n"
            insights += f"- Key Insights: {', '.join(strategy.key_insights[:3])}\n"
            insights += f"- Techniques: {', '.join(strategy.mathematical_techniques[:3])}\n"
            insights += f"- Success Pattern: {strategy.solution_pattern[:200]}...\n"
        prompt = ENHANCEMENT_PROMPT.format(
            agent_id=original.agent_id, problem=problem, solution=original.solution, strategy_insights=insights
        )
        try:
            response = await self.client.create(
                messages=[
                    {"role": "system", "content": ENHANCEMENT_SYSTEM_PROMPT},
                    {"role": "user", "content": prompt},
                ],
                max_tokens=self.max_tokens,
                temperature=original.temperature * 0.9,
                timeout=300,
                extra_body={"reasoning": {"effort": "high"}},
            )
            text = response.choices[0].message.content.strip()
            total_tokens = getattr(response.usage, "total_tokens", 0) if response.usage else 0
            return AgentSolution(
                agent_id=f"enhanced_{original.agent_id}",
                solution=text,
                confidence=min(original.confidence + 0.1, 1.0),
                reasoning_tokens=reasoning_tokens_of(response.usage),
                total_tokens=total_tokens,
                solution_length=len(text),
                temperature=original.temperature,
            )
        except Exception as exc:
            logger.error("Strategy enhancement failed for agent %s: %s", original.agent_id, exc)
            return None
