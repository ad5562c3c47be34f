"""Every scenario of a ported provider, run by the harness in a fresh process, matches its golden.

A scenario listed in fixtures/KNOWN_GAPS is a strict expected failure: the day it passes, the
test fails until the line goes. Scenarios of providers not ported yet are not tests (``python -m
parity`` reports them).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from parity.compare import format_mismatch
from parity.suite import DEFAULT_KNOWN_GAPS, DEFAULT_SCENARIOS, discover, is_ported, read_known_gaps, run_one
from parity.tls import make_tls_files

KNOWN_GAPS = read_known_gaps(DEFAULT_KNOWN_GAPS)


def _params() -> list[object]:
    params: list[object] = []
    for directory in discover(DEFAULT_SCENARIOS):
        provider, name = directory.parent.name, directory.name
        if not is_ported(provider):
            continue
        scenario_id = f"{provider}/{name}"
        marks = []
        if scenario_id in KNOWN_GAPS:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[scenario_id]))
        params.append(pytest.param(directory, id=scenario_id, marks=marks))
    return params


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("parity-tls")
    make_tls_files(directory)
    return directory


@pytest.mark.parametrize("directory", _params())
async def test_scenario_matches_golden(directory: Path, tls_dir: Path) -> None:
    outcome = await run_one(directory, tls_dir, known_gaps={})
    assert outcome.status == "match", (
        f"{outcome.scenario_id}: {outcome.status}\n{outcome.reason}\n"
        + "\n".join(format_mismatch(m) for m in outcome.mismatches)
    )


def test_known_gaps_name_real_scenarios() -> None:
    ids = {f"{d.parent.name}/{d.name}" for d in discover(DEFAULT_SCENARIOS)}
    assert set(KNOWN_GAPS) <= ids

