"""Answer extraction and scoring of the strategies against values recorded from optillm 0.4.0
(``tests/data/strategies_optillm_values.json``: its functions run on these inputs, outside the
repository, math-verify 0.9.0)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.strategies.answer_extraction import extract_answer
from gateway.strategies.bon import parse_rating
from gateway.strategies.mars.agent import MARSAgent
from gateway.strategies.mars.answer_extraction import detect_answer_type, extract_clean_answer
from gateway.strategies.mars.strategy_network import parse_strategy_analysis
from gateway.strategies.mcts import parse_score
from gateway.strategies.self_consistency import AdvancedSelfConsistency

RECORDED = json.loads((Path(__file__).parent / "data" / "strategies_optillm_values.json").read_text(encoding="utf-8"))
AGENT = MARSAgent(0, None, {"max_tokens": 10})  # type: ignore[arg-type]  # no calls made


@pytest.mark.parametrize("text, kind, auto, math, generic", RECORDED["clean"])
def test_clean_answer_is_optillms(text: str, kind: str, auto: str, math: str, generic: str) -> None:
    assert detect_answer_type(text) == kind
    assert extract_clean_answer(text) == auto
    assert extract_clean_answer(text, "math") == math
    assert extract_clean_answer(text, "generic") == generic


@pytest.mark.parametrize("text, confidence", RECORDED["confidence"])
def test_agent_confidence_is_optillms(text: str, confidence: float) -> None:
    assert AGENT._estimate_confidence(text) == confidence


@pytest.mark.parametrize("text, parsed", RECORDED["verification"])
def test_verification_parsing_is_optillms(text: str, parsed: list) -> None:
    assert list(AGENT._parse_verification(text)) == parsed


@pytest.mark.parametrize("text, parsed", RECORDED["strategy"])
def test_strategy_analysis_parsing_is_optillms(text: str, parsed: dict | None) -> None:
    assert parse_strategy_analysis(text) == parsed


@pytest.mark.parametrize("text, answer_repr, type_name", RECORDED["extract_answer"])
def test_unified_answer_extraction_is_optillms(text: str, answer_repr: str, type_name: str) -> None:
    answer = extract_answer(text, problem_type="imo", problem_id=None)
    assert (repr(answer), type(answer).__name__) == (answer_repr, type_name)


def test_self_consistency_clusters_are_optillms() -> None:
    responses, aggregated = RECORDED["clusters"]
    assert AdvancedSelfConsistency(None).aggregate_results(responses) == aggregated  # type: ignore[arg-type]


@pytest.mark.parametrize("text, rating", [("8", 8.0), (" 7 ", 7.0), ("9.5", 9.5), ("nine", 0), ("1e1", 10.0)])
def test_best_of_n_rating_is_a_python_float_or_zero(text: str, rating: float) -> None:
    assert parse_rating(text) == rating


@pytest.mark.parametrize("text, score", [("0.8", 0.8), (" 0.9 ", 0.9), ("1.4", 1), ("-2", 0), ("good", 0.5)])
def test_mcts_score_is_clamped_to_0_1_or_neutral(text: str, score: float) -> None:
    assert parse_score(text) == score
