"""One scenario in a fresh process: ``python -m parity.worker SCENARIO_DIR TLS_DIR``.

Every cache of the port (model lists, access tokens, credentials) starts empty, as it did in the
reference's recordings, each made in a new Node process. Prints one JSON object on the last line of stdout, after ``RESULT_MARKER``:
``{"status": "ran", "transcript": …}``, ``{"status": "not_ported", "reason": …}`` or
``{"status": "harness_error", "reason": …}``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import traceback
from pathlib import Path

from .runner import NotPorted, load_scenario, run_scenario
from .tls import TLSFiles

RESULT_MARKER = "PARITY-RESULT "


def main(argv: list[str]) -> int:
    scenario_dir, tls_dir = Path(argv[0]), Path(argv[1])
    tls = TLSFiles.in_directory(tls_dir)
    try:
        scenario, _ = load_scenario(scenario_dir)
        transcript = asyncio.run(run_scenario(scenario, tls))
        out = {"status": "ran", "transcript": transcript}
    except NotPorted as exc:
        out = {"status": "not_ported", "reason": str(exc)}
    except Exception:  # noqa: BLE001  reported to the parent, which exits 2
        out = {"status": "harness_error", "reason": traceback.format_exc()}
    sys.stdout.write("\n" + RESULT_MARKER + json.dumps(out, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
