"""Strategy parity: every transcript recorded from optillm 0.4.0 (``fixtures/strategies/``),
replayed through the port's strategy and a real ``openai`` handler on a loopback server."""

from __future__ import annotations

import pytest

from parity.strategies import DEFAULT_TRANSCRIPTS, load, run_transcript

TRANSCRIPTS = load(DEFAULT_TRANSCRIPTS)


@pytest.mark.parametrize("transcript", TRANSCRIPTS, ids=[t["name"] for t in TRANSCRIPTS])
async def test_transcript_matches_optillm(transcript: dict) -> None:
    outcome = await run_transcript(transcript)
    assert outcome.port_requests == outcome.expected_requests
    assert outcome.problems == []


def test_every_required_run_is_recorded() -> None:
    names = {t["name"] for t in TRANSCRIPTS}
    assert {"moa_n", "moa_without_n", "bon", "self_consistency", "mcts_seed7", "mcts_seed11"} <= names
    assert {f"mars_preset_{p}" for p in ("code", "quality", "latency", "cost")} <= names
    assert {"mars_brief_default", "mars_optillm_default", "mars_numeric_vote"} <= names
