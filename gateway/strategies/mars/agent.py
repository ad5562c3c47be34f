"""A MARS agent: optillm 0.4.0 ``optillm/mars/agent.py`` (``MARSAgent``), async.

Solves (at its own temperature), verifies (at 0.1) and improves (at 0.8 × its temperature);
confidence and verification parsing are optillm's text heuristics. optillm's agent ``i`` samples
at ``[0.3, 0.6, 1.0][i % 3]``; a config ``temperatures`` list (the brief's setting) replaces that
list. The ``reasoning`` effort optillm sends in ``extra_body`` is recorded, not sent.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from ..client import StrategyClient
from .prompts import AGENT_EXPLORATION_PROMPT, IMPROVEMENT_PROMPT, MATHEMATICAL_SYSTEM_PROMPT, VERIFICATION_PROMPT
from .workspace import AgentSolution, VerificationResult

logger = logging.getLogger(__name__)

OPTILLM_TEMPERATURES = [0.3, 0.6, 1.0]
_CONFIDENCE_OUT_OF = re.compile(r"confidence.*?(\d+).*?(?:out of|/)\s*(\d+)")


def reasoning_tokens_of(usage: Any) -> int:
    """optillm's reading: ``completion_tokens_details.reasoning_tokens``, else ``reasoning_tokens``."""
    tokens = 0
    if usage:
        details = getattr(usage, "completion_tokens_details", None)
        if details:
            tokens = getattr(details, "reasoning_tokens", 0)
        if tokens == 0:
            tokens = getattr(usage, "reasoning_tokens", 0)
    return tokens


class MARSAgent:
    def __init__(self, agent_id: int, client: StrategyClient, config: dict[str, Any]) -> None:
        self.agent_id = agent_id
        self.client = client
        self.config = config
        self.temperature = self._assign_temperature()

    def _assign_temperature(self) -> float:
        temperatures = self.config.get("temperatures") or OPTILLM_TEMPERATURES
        return float(temperatures[self.agent_id % len(temperatures)])

    def _get_reasoning_effort(self) -> str:
        if self.temperature <= 0.4:
            return "low"
        if self.temperature <= 0.8:
            return "medium"
        return "high"

    async def generate_solution(self, problem: str) -> tuple[AgentSolution, int]:
        prompt = AGENT_EXPLORATION_PROMPT.format(agent_id=self.agent_id, temperature=self.temperature, problem=problem)
        max_tokens = self.config["max_tokens"]
        try:
            response = await self.client.create(
                messages=[
                    {"role": "system", "content": MATHEMATICAL_SYSTEM_PROMPT},
                    {"role": "user", "content": prompt},
                ],
                max_tokens=max_tokens,
                temperature=self.temperature,
                timeout=300,
                extra_body={"reasoning": {"effort": self._get_reasoning_effort()}},
            )
            solution_text = response.choices[0].message.content.strip()
            reasoning_tokens = reasoning_tokens_of(response.usage)
            total_tokens = getattr(response.usage, "total_tokens", 0) if response.usage else 0
            confidence = self._estimate_confidence(solution_text)
            solution = AgentSolution(
                agent_id=str(self.agent_id),
                solution=solution_text,
                confidence=confidence,
                reasoning_tokens=reasoning_tokens,
                total_tokens=total_tokens,
                solution_length=len(solution_text),
                temperature=self.temperature,
            )
            return solution, reasoning_tokens
        except Exception as exc:
            logger.error("MARS agent %s: error generating solution: %s", self.agent_id, exc)
            error_message = f"Error generating solution: {exc}"
            return (
                AgentSolution(
                    agent_id=str(self.agent_id),
                    solution=error_message,
                    confidence=0.0,
                    reasoning_tokens=0,
                    total_tokens=0,
                    solution_length=len(error_message),
                    temperature=self.temperature,
                ),
                0,
            )

    async def verify_solution(
        self, problem: str, solution: str, verifier_id: int, solution_agent_id: Any
    ) -> VerificationResult:
        prompt = VERIFICATION_PROMPT.format(problem=problem, solution=solution)
        try:
            response = await self.client.create(
                messages=[
                    {"role": "system", "content": MATHEMATICAL_SYSTEM_PROMPT},
                    {"role": "user", "content": prompt},
                ],
                max_tokens=self.config["max_tokens"],
                temperature=0.1,
                timeout=180,
                extra_body={"reasoning": {"effort": "low"}},
            )
            verification_text = response.choices[0].message.content.strip()
            assessment, confidence, issues, suggestions = self._parse_verification(verification_text)
            return VerificationResult(
                verifier_id=verifier_id,
                solution_id=f"agent_{solution_agent_id}_iter_0",
                assessment=assessment,
                confidence=confidence,
                issues=issues,
                suggestions=suggestions,
                detailed_report=verification_text,
                timestamp=datetime.now(),
            )
        except Exception as exc:
            logger.error("MARS verifier %s: verification error: %s", self.agent_id, exc)
            return VerificationResult(
                verifier_id=verifier_id,
                solution_id=f"agent_{solution_agent_id}_iter_0",
                assessment="INCOMPLETE",
                confidence=0.0,
                issues=[f"Verification error: {exc}"],
                suggestions=["Retry verification"],
                detailed_report=f"Error during verification: {exc}",
                timestamp=datetime.now(),
            )

    async def improve_solution(
        self, problem: str, current_solution: str, feedback: str, issues: list[str]
    ) -> tuple[str, int]:
        prompt = IMPROVEMENT_PROMPT.format(
            problem=problem,
            current_solution=current_solution,
            feedback=feedback,
            issues="\n".join(f"- {issue}" for issue in issues),
        )
        try:
            response = await self.client.create(
                messages=[
                    {"role": "system", "content": MATHEMATICAL_SYSTEM_PROMPT},
                    {"role": "user", "content": prompt},
                ],
                max_tokens=self.config["max_tokens"],
                temperature=self.temperature * 0.8,
                timeout=300,
                extra_body={"reasoning": {"effort": "high"}},
            )
            return response.choices[0].message.content.strip(), getattr(response.usage, "reasoning_tokens", 0)
        except Exception as exc:
            logger.error("MARS improver %s: improvement error: %s", self.agent_id, exc)
            return current_solution, 0

    def _estimate_confidence(self, solution: str) -> float:
        """optillm's heuristic: 0.5, plus for a boxed answer, connectives, proof words, length and
        formality, minus for hedging; clamped to 0.1..1.0."""
        confidence = 0.5
        lower = solution.lower()
        if "\\boxed{" in solution:
            confidence += 0.2
        if "therefore" in lower or "thus" in lower:
            confidence += 0.1
        if "proof" in lower:
            confidence += 0.1
        if len(solution.split()) > 200:
            confidence += 0.1
        if "let" in lower and "assume" in lower:
            confidence += 0.1
        if "might" in lower or "possibly" in lower:
            confidence -= 0.1
        if "unsure" in lower or "not sure" in lower:
            confidence -= 0.2
        return max(0.1, min(1.0, confidence))

    def _parse_verification(self, verification_text: str) -> tuple[str, float, list[str], list[str]]:
        """Assessment from the words correct/incorrect/incomplete, confidence from "confidence …
        N out of M" (or N/M), issues and suggestions from the lines with their keywords."""
        assessment = "INCOMPLETE"
        confidence = 0.5
        text_lower = verification_text.lower()
        if "correct" in text_lower and "incorrect" not in text_lower:
            assessment, confidence = "CORRECT", 0.8
        elif "incorrect" in text_lower:
            assessment, confidence = "INCORRECT", 0.8
        elif "incomplete" in text_lower:
            assessment, confidence = "INCOMPLETE", 0.6
        match = _CONFIDENCE_OUT_OF.search(text_lower)
        if match:
            confidence = float(match.group(1)) / float(match.group(2))
        lines = verification_text.split("\n")
        issues = [
            line.strip()
            for line in lines
            if any(word in line.lower() for word in ["error", "mistake", "incorrect", "wrong", "issue"])
        ]
        suggestions = [
            line.strip()
            for line in lines
            if any(word in line.lower() for word in ["suggest", "recommend", "should", "could improve"])
        ]
        return assessment, confidence, issues, suggestions
