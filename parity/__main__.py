"""``python -m parity``: run every scenario against the port and report.

Exit codes (PORTING.md): 0 every selected scenario matches; 1 any mismatch, known gap or
not-ported scenario; 2 the harness itself failed (unreadable scenario, a worker that crashed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

from . import report
from .suite import DEFAULT_KNOWN_GAPS, DEFAULT_SCENARIOS, Outcome, discover, read_known_gaps, run_all
from .tls import make_tls_files


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m parity", description=__doc__.split("\n")[0])
    parser.add_argument("--provider", action="append", help="only this provider (repeatable)")
    parser.add_argument("--scenario", action="append", help="only this scenario: NAME or PROVIDER/NAME (repeatable)")
    parser.add_argument("--scenarios-dir", type=Path, default=DEFAULT_SCENARIOS)
    parser.add_argument("--known-gaps", type=Path, default=DEFAULT_KNOWN_GAPS)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="scenarios run at once")
    parser.add_argument("--html", type=Path, default=Path("parity-report.html"), help="HTML report path")
    parser.add_argument("--quiet", action="store_true", help="no per-scenario progress lines")
    parser.add_argument("--strategies", action="store_true", help="the strategy transcripts instead (parity.strategies)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.strategies:
        from . import strategies

        return strategies.main([])
    directories = discover(args.scenarios_dir, args.provider, args.scenario)
    if not directories:
        print(f"no scenarios selected under {args.scenarios_dir}", file=sys.stderr)
        return 2
    known_gaps = read_known_gaps(args.known_gaps)
    done = [0]

    def progress(outcome: Outcome) -> None:
        done[0] += 1
        if not args.quiet:
            print(f"[{done[0]:>3}/{len(directories)}] {outcome.scenario_id:<45} {report.LABELS[outcome.status]}", flush=True)

    with tempfile.TemporaryDirectory(prefix="parity-tls-") as tls_dir:
        make_tls_files(Path(tls_dir))
        outcomes = asyncio.run(run_all(directories, Path(tls_dir), known_gaps, args.jobs, progress))

    print(report.tables(outcomes))
    text = report.diffs(outcomes)
    if text:
        print(text)
    report.write_html(outcomes, args.html)
    print(f"\n{report.totals(outcomes)}\nHTML report: {args.html}")
    statuses = {o.status for o in outcomes}
    if "harness_error" in statuses:
        return 2
    return 0 if statuses == {"match"} else 1


if __name__ == "__main__":
    raise SystemExit(main())
