"""``python -m tools.bench --quick`` end to end with tiny sizes: a smoke test, not a benchmark.

Every measure runs in its worker process against the loopback server (the limiter's 3 × Q runs
against its quota mode, the gateway measure through ``python -m gateway serve`` and the bare
aiohttp relay), every client checks that it received every delta and the final usage, and the run writes its table, JSON and (with
matplotlib) chart. A peer library that is not installed is reported as skipped by the bench.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TINY = [
    "--quick",
    "--clients", "floor,port,openai-python",
    "--long-deltas", "20",
    "--short-requests", "2",
    "--short-deltas", "3",
    "--concurrency", "4",
    "--concurrent-deltas", "3",
    "--sign-requests", "2",
    "--limiter-requests", "2",
    "--limiter-calls", "10",
    "--quota-requests", "10",
    "--quota-per-s", "1000",
    "--router-requests", "2",
    "--router-rounds", "1",
    "--gateway-requests", "2",
    "--gateway-deltas", "3",
]  # fmt: skip


def test_quick_run_measures_every_client_and_wire(tmp_path: Path) -> None:
    results_file = tmp_path / "results.json"
    chart = tmp_path / "ratios.png"
    done = subprocess.run(
        [sys.executable, "-m", "tools.bench", *TINY, "--json", str(results_file), "--chart", str(chart)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(results_file.read_text())

    assert [run for run in results["runs"] if not run["ok"]] == []
    streamed = {(run["client"], run["wire"]) for run in results["runs"] if "cpu" in run["measures"]}
    for wire in ("openai", "anthropic", "gemini", "bedrock"):
        assert ("floor", wire) in streamed
        assert ("port", wire) in streamed
    measured = {measure for run in results["runs"] for measure in run["values"]}
    assert measured == {"import", "cpu", "short", "concurrent", "handlers", "sign",
                        "limiter_overhead", "limiter_quota", "limiter_quota_headers",
                        "router_overhead", "router_cpu", "ledger_overhead", "ledger_concurrent",
                        "gateway_overhead", "gateway_concurrent"}  # fmt: skip
    for part in ("limiter_quota", "limiter_quota_headers"):
        quota_run = next(run["values"][part] for run in results["runs"] if part in run["values"])
        assert quota_run["errors"] == 0
        assert quota_run["served"] == 10

    for proxy in ("port", "floor"):  # the gateway, and its floor: the bare aiohttp relay
        gateway_run = next(run["values"]["gateway_concurrent"] for run in results["runs"] if run["client"] == proxy
                           and "gateway_concurrent" in run["values"])  # fmt: skip
        assert (gateway_run["streams"], gateway_run["errors"], gateway_run["lost_chunks"]) == (4, 0, 0)
        assert gateway_run["peak_rss_mb"] > 0
    relay_run = next(run["values"]["gateway_overhead"] for run in results["runs"] if run["client"] == "floor"
                     and "gateway_overhead" in run["values"])  # fmt: skip
    assert relay_run["requests"] == 2
    assert relay_run["overhead_ms"] == pytest.approx(relay_run["proxy_ms"] - relay_run["in_process_ms"])
    assert not [run for run in results["runs"] if run["client"] == "litellm"]  # not selected: no proxy started

    skipped = results["meta"]["skipped"]
    if importlib.util.find_spec("openai") is None:
        assert skipped["openai-python"].startswith("not installed")
    else:
        assert ("openai-python", "openai") in streamed
    assert skipped["litellm"] == "not selected (--clients)"

    for label in ("import time", "CPU per 1,000 deltas", "short request, sequential", "concurrent streams: wall",
                  "RSS with the 8 handlers built", "Bedrock SigV4 + event-stream decode",
                  "limiter overhead per request, unthrottled", "limiter at 3× quota, 429 + retry-after: time",
                  "limiter at 3× quota, OpenAI headers: 429s", "HTTP proxy: latency added per short request, streamed",
                  "HTTP proxy: concurrent streams: proxy's peak RSS"):  # fmt: skip
        assert label in done.stdout
    assert "aiohttp relay" in done.stdout
    if importlib.util.find_spec("matplotlib") is None:
        assert "chart: skipped" in done.stdout
    else:
        assert chart.stat().st_size > 0
