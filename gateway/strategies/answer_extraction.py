"""Unified answer extraction: optillm 0.4.0 ``optillm/utils/answer_extraction.py``
(``AnswerExtractor``, ``extract_answer``), which MARS's final vote uses.

``math_verify.parse`` first (optillm's primary parser; imported on first use: the
``strategies`` extra), then IMO- and AIME-specific patterns, then general patterns (boxed,
"answer is", "therefore", a trailing ``= …``). The answer's type decides how MARS votes: an
``int``/``float`` is a numeric vote, a ``str`` or ``set`` goes to the synthesis prompt, and
math-verify's list of matches is walked in order.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

MATH_VERIFY_TIMEOUT_S = 5

_AIME_PATTERNS = [
    r"\$n=\\boxed{(\d+)}\$",
    r"\\\[\\boxed{(\d+)}\\\]",
    r"\\\[\\boxed{(\d+)}\.\\\]",
    r"\\boxed{(\d+)}",
    r"\$\\boxed{(\d+)}\$",
    r"boxed{(\d+)}",
    r"\\boxed\s*{\s*(\d+)\s*}",
    r"\bboxed\s*{\s*(\d+)\s*}",
    r"final answer is[^\d]*(\d+)",
    r"answer is[^\d]*(\d+)",
    r"answer:[^\d]*(\d+)",
    r"= ?(\d+)$",
]


class AnswerExtractor:
    def __init__(self) -> None:
        self.math_verify_timeout = MATH_VERIFY_TIMEOUT_S

    def extract_answer(self, solution: str, problem_type: str = "general", problem_id: int | None = None) -> Any:
        if not solution:
            return None
        result = self._try_math_verify(solution)
        if result is not None:
            return result
        if problem_type == "imo" and problem_id:
            result = self._extract_imo_specific(solution, problem_id)
            if result is not None:
                return result
        if problem_type == "aime":
            result = self._extract_aime_answer(solution)
            if result is not None:
                return result
        return self._extract_general_answer(solution)

    def _try_math_verify(self, solution: str) -> Any:
        try:
            import math_verify

            parsed = math_verify.parse(solution, parsing_timeout=self.math_verify_timeout)
            if parsed:
                return self._normalize_math_verify_result(parsed)
        except Exception as exc:
            logger.debug("Math-verify failed: %s", exc)
        return None

    def _normalize_math_verify_result(self, result: Any) -> Any:
        if isinstance(result, (int, float)):
            return int(result) if result == int(result) else result
        if isinstance(result, str):
            if result.isdigit():
                return int(result)
            if result.replace(".", "", 1).isdigit():
                value = float(result)
                return int(value) if value == int(value) else value
            return result
        if isinstance(result, (list, tuple)):
            return result
        return str(result)

    def _extract_imo_specific(self, solution: str, problem_id: int) -> Any:
        solution_lower = solution.lower()
        if problem_id == 1:
            for pattern in [r"\\boxed\{([^}]+)\}", r"\{([^}]+)\}", r"k\s*\\in\s*\{([^}]+)\}", r"k\s*can\s*be\s*([0-9,\s]+)"]:
                for match in re.finditer(pattern, solution, re.IGNORECASE):
                    content = match.group(1).strip()
                    if "..." in content or "\\ldots" in content:
                        return self._parse_set_with_ellipsis(content)
                    if "," in content:
                        return {int(x) for x in re.findall(r"\d+", content)}
                    if content.isdigit():
                        return {int(content)}
            if any(p in solution_lower for p in ["all non-negative", "all integers", "any integer"]):
                return "all_integers"
        elif problem_id == 3:
            for pattern in [
                r"\\boxed\{(\d+)\}",
                r"c\s*=\s*(\d+)",
                r"constant\s+is\s+(\d+)",
                r"answer\s+is\s+(\d+)",
                r"minimum\s+constant\s+is\s+(\d+)",
            ]:
                matches = list(re.finditer(pattern, solution, re.IGNORECASE))
                if matches:
                    return int(matches[-1].group(1))
        elif problem_id == 6:
            if "4048" in solution:
                return 4048
            for pattern in [r"\\boxed\{(\d+)\}", r"answer\s+is\s+(\d+)", r"minimum\s+number\s+is\s+(\d+)", r"tiles?\s+is\s+(\d+)"]:
                matches = list(re.finditer(pattern, solution, re.IGNORECASE))
                if matches:
                    number = int(matches[-1].group(1))
                    if number > 100:
                        return number
        return None

    def _parse_set_with_ellipsis(self, content: str) -> set[int]:
        content = content.replace("\\ldots", "...").replace("\\dots", "...")
        before = re.findall(r"(\d+)", content.split("...")[0])
        if len(before) >= 2 and int(before[1]) - int(before[0]) == 1 and int(before[0]) == 0:
            return {0, 1, 2, 3}
        return {int(x) for x in re.findall(r"\d+", content)}

    def _extract_aime_answer(self, solution: str) -> int | None:
        for pattern in _AIME_PATTERNS:
            last = None
            for last in re.finditer(pattern, solution, re.IGNORECASE):
                pass
            if last:
                number = int(last.group(1))
                if 0 <= number <= 999:
                    return number
        numbers = re.findall(r"(\d+)", solution)
        if numbers and 0 <= int(numbers[-1]) <= 999:
            return int(numbers[-1])
        return None

    def _extract_general_answer(self, solution: str) -> Any:
        patterns: list[tuple[str, Callable[[str], Any]]] = [
            (r"\\boxed\{([^}]+)\}", self._parse_boxed_content),
            (r"boxed\{([^}]+)\}", self._parse_boxed_content),
            (r"(?:the\s+)?answer\s+is\s+([^\n.!?]+)", str.strip),
            (r"(?:final\s+)?answer:\s*([^\n.!?]+)", str.strip),
            (r"therefore,?\s+([^\n.!?]+)", str.strip),
            (r"thus,?\s+([^\n.!?]+)", str.strip),
            (r"=\s*([^\n.!?]+)$", str.strip),
        ]
        for pattern, processor in patterns:
            matches = list(re.finditer(pattern, solution, re.IGNORECASE))
            if matches:
                content = matches[-1].group(1).strip()
                if content:
                    return processor(content)
        return None

    def _parse_boxed_content(self, content: str) -> Any:
        content = content.strip()
        if content.isdigit():
            return int(content)
        try:
            value = float(content)
            return int(value) if value == int(value) else value
        except ValueError:
            pass
        if content.startswith("{") and content.endswith("}"):
            inner = content[1:-1]
            if "," in inner:
                return {int(x.strip()) for x in inner.split(",") if x.strip().isdigit()}
        return content


answer_extractor = AnswerExtractor()


def extract_answer(solution: str, problem_type: str = "general", problem_id: int | None = None) -> Any:
    return answer_extractor.extract_answer(solution, problem_type, problem_id)
