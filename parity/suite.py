"""Find scenarios, run each in a fresh worker process, and judge it against its golden.

Shared by ``python -m parity`` and the parity tests. A scenario's outcome is one of:
``match``, ``mismatch``, ``known_gap`` (listed in ``fixtures/KNOWN_GAPS`` and mismatching),
``gap_passes`` (listed but matching: remove the line), ``not_ported`` or ``harness_error``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .compare import Mismatch, compare
from .runner import load_scenario
from .worker import RESULT_MARKER

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SCENARIOS = REPO / "fixtures" / "scenarios"
DEFAULT_KNOWN_GAPS = REPO / "fixtures" / "KNOWN_GAPS"
WORKER_TIMEOUT_S = 180.0

# Scenario provider -> the port's module (azure is openai.ts's Azure branch).
PROVIDER_MODULES = {
    "openai": "openai",
    "azure": "openai",
    "anthropic": "anthropic",
    "openrouter": "openrouter",
    "xai": "xai",
    "gemini": "gemini",
    "vertex": "vertex",
    "anthropic-vertex": "anthropic_vertex",
    "bedrock": "bedrock",
}

OUTCOMES = ("match", "mismatch", "known_gap", "gap_passes", "not_ported", "harness_error")


@dataclass
class Outcome:
    scenario_id: str  # provider/name
    status: str
    mismatches: list[Mismatch] = field(default_factory=list)
    reason: str = ""
    seconds: float = 0.0
    golden: dict[str, Any] | None = None
    transcript: dict[str, Any] | None = None

    @property
    def provider(self) -> str:
        return self.scenario_id.split("/", 1)[0]


def discover(root: Path, providers: list[str] | None = None, names: list[str] | None = None) -> list[Path]:
    """Scenario directories under ``root`` (``<provider>/<name>/scenario.json``), sorted."""
    found = []
    for path in sorted(root.glob("*/*/scenario.json")):
        directory = path.parent
        provider, name = directory.parent.name, directory.name
        if providers and provider not in providers:
            continue
        if names and name not in names and f"{provider}/{name}" not in names:
            continue
        found.append(directory)
    return found


def read_known_gaps(path: Path) -> dict[str, str]:
    """``provider/name  reason`` per line; ``#`` starts a comment."""
    gaps: dict[str, str] = {}
    if not path.exists():
        return gaps
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            scenario_id, _, reason = line.partition(" ")
            gaps[scenario_id] = reason.strip()
    return gaps


def is_ported(provider: str) -> bool:
    module = PROVIDER_MODULES.get(provider)
    return module is not None and importlib.util.find_spec(f"providers.{module}") is not None


async def run_one(directory: Path, tls_dir: Path, known_gaps: dict[str, str]) -> Outcome:
    scenario_id = f"{directory.parent.name}/{directory.name}"
    started = time.monotonic()
    try:
        scenario, golden = load_scenario(directory)
    except (OSError, ValueError) as exc:
        return Outcome(scenario_id, "harness_error", reason=f"unreadable scenario: {exc}")
    if golden is None:
        return Outcome(scenario_id, "harness_error", reason="no golden.json")
    if not is_ported(scenario.get("provider", directory.parent.name)):
        return Outcome(scenario_id, "not_ported", reason=f"no port of provider {directory.parent.name!r} yet", golden=golden)
    report = await _worker(directory, tls_dir)
    seconds = time.monotonic() - started
    if report.get("status") != "ran":
        status = "not_ported" if report.get("status") == "not_ported" else "harness_error"
        return Outcome(scenario_id, status, reason=str(report.get("reason", "")), seconds=seconds, golden=golden)
    transcript = report["transcript"]
    mismatches = compare(golden, transcript, scenario)
    if scenario_id in known_gaps:
        status = "known_gap" if mismatches else "gap_passes"
        reason = known_gaps[scenario_id]
    else:
        status, reason = ("mismatch" if mismatches else "match"), ""
    return Outcome(scenario_id, status, mismatches, reason, seconds, golden, transcript)


async def _worker(directory: Path, tls_dir: Path) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "parity.worker", str(directory), str(tls_dir),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env, cwd=str(REPO),
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), WORKER_TIMEOUT_S)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        return {"status": "harness_error", "reason": f"worker did not finish within {WORKER_TIMEOUT_S:g} s"}
    text = out.decode("utf-8", "replace")
    marker = text.rfind(RESULT_MARKER)
    if marker < 0:
        tail = err.decode("utf-8", "replace")[-2000:]
        return {"status": "harness_error", "reason": f"worker exited {proc.returncode} without a result\n{tail}"}
    return json.loads(text[marker + len(RESULT_MARKER):])


async def run_all(
    directories: list[Path], tls_dir: Path, known_gaps: dict[str, str], jobs: int, progress: Any = None
) -> list[Outcome]:
    """Run every scenario, ``jobs`` worker processes at a time, in the given order."""
    semaphore = asyncio.Semaphore(max(1, jobs))

    async def one(directory: Path) -> Outcome:
        async with semaphore:
            outcome = await run_one(directory, tls_dir, known_gaps)
        if progress is not None:
            progress(outcome)
        return outcome

    return list(await asyncio.gather(*(one(d) for d in directories)))
