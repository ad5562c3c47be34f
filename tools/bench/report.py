"""Results of a benchmark run: the summary rows, the issue's targets, the table, JSON and chart.

Every figure is the median over the repetitions, with its min–max, and its ratio to the floor's
median for the same measure and wire in the same run (for the Bedrock signing measure the floor
is botocore doing the same work; the limiter's and the router's rows have no floor: they compare
the port with itself, without a limiter or router, or with the ideal time of a quota; the HTTP
proxies' floor is a bare aiohttp relay, the same hop with none of a proxy's work, against raw
aiohttp straight to the server, beside the gateway and the LiteLLM proxy, each against its
library in-process).
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .clients import CLIENTS
from .worker import GATEWAY_MEASURES


@dataclass(frozen=True)
class Metric:
    """One figure of a measure: where it sits in a worker's values and how it is shown."""

    measure: str
    key: str
    label: str
    unit: str


METRICS = (
    Metric("import", "import_ms", "import time", "ms"),
    Metric("import", "added_rss_mb", "RSS added by the import", "MB"),
    Metric("cpu", "cpu_ms_per_1k", "CPU per 1,000 deltas", "ms"),
    Metric("short", "ms_per_request", "short request, sequential", "ms"),
    Metric("concurrent", "wall_s", "concurrent streams: wall", "s"),
    Metric("concurrent", "peak_rss_mb", "concurrent streams: peak RSS", "MB"),
    Metric("handlers", "rss_mb", "RSS with the 8 handlers built", "MB"),
    Metric("sign", "us_per_request", "Bedrock SigV4 + event-stream decode", "µs"),
    Metric("limiter_overhead", "overhead_us", "limiter overhead per request, unthrottled", "µs"),
    Metric("limiter_overhead", "overhead_cpu_us", "limiter overhead per request, unthrottled, CPU", "µs"),
    Metric("limiter_overhead", "micro_us", "limiter acquire + observe alone", "µs"),
    Metric("limiter_quota", "share_429_pct", "limiter at 3× quota, 429 + retry-after: 429s", "%"),
    Metric("limiter_quota", "time_vs_ideal", "limiter at 3× quota, 429 + retry-after: time", "× ideal"),
    Metric("limiter_quota_headers", "share_429_pct", "limiter at 3× quota, OpenAI headers: 429s", "%"),
    Metric("limiter_quota_headers", "time_vs_ideal", "limiter at 3× quota, OpenAI headers: time", "× ideal"),
    Metric("router_overhead", "overhead_us", "router overhead per request", "µs"),
    Metric("router_overhead", "overhead_cpu_us", "router overhead per request, CPU", "µs"),
    Metric("router_cpu", "cpu_vs_handler", "CPU per 1,000 deltas through the router", "× handler"),
    Metric("ledger_overhead", "overhead_us", "router + SQLite ledger overhead per request", "µs"),
    Metric("ledger_overhead", "overhead_cpu_us", "router + SQLite ledger overhead per request, CPU", "µs"),
    Metric("ledger_overhead", "record_overhead_us", "router + SQLite ledger, no budgets: overhead per request", "µs"),
    Metric("ledger_overhead", "record_overhead_cpu_us", "router + SQLite ledger, no budgets: overhead, CPU", "µs"),
    Metric("ledger_concurrent", "wall_vs_router", "1,000 concurrent requests with budgets: wall", "× router"),
    Metric("gateway_overhead", "json_overhead_ms", "HTTP proxy: latency added per short request, stream: false", "ms"),
    Metric("gateway_overhead", "overhead_ms", "HTTP proxy: latency added per short request, streamed", "ms"),
    Metric("gateway_overhead", "sdk_overhead_ms", "HTTP proxy: latency added per short request, openai SDK", "ms"),
    Metric("gateway_overhead", "json_proxy_cpu_ms", "HTTP proxy: its CPU per short request, stream: false", "ms"),
    Metric("gateway_overhead", "proxy_cpu_ms", "HTTP proxy: its CPU per short request, streamed", "ms"),
    Metric("gateway_concurrent", "wall_s", "HTTP proxy: concurrent streams: wall", "s"),
    Metric("gateway_concurrent", "peak_rss_mb", "HTTP proxy: concurrent streams: proxy's peak RSS", "MB"),
)

PROXY_NAMES = {"floor": "aiohttp relay", "port": "gateway", "litellm": "litellm proxy"}
"""How the gateway measure's rows name the proxy each client runs."""

QUOTA_MEASURES = ("limiter_quota", "limiter_quota_headers")

IMPORT_MODULES = {
    "floor": "aiohttp",
    "port": "providers",
    "openai-python": "openai",
    "anthropic-python": "anthropic",
    "litellm": "litellm",
}
"""What each client's import measure imports."""


@dataclass
class Row:
    """One line of the table."""

    label: str
    unit: str
    wire: str
    client: str
    runs: int
    median: float | None
    low: float | None
    high: float | None
    ratio: float | None
    over_floor: float | None
    target: str = ""
    met: bool | None = None
    note: str = ""


def _values(runs: list[dict[str, Any]], metric: Metric, wire: str, client: str) -> list[float]:
    found = []
    for run in runs:
        if run["client"] != client or run["wire"] != wire or not run["ok"]:
            continue
        values = run["values"].get(metric.measure)
        if values is None:
            continue
        if metric.key == "added_rss_mb":
            found.append(values["rss_mb"] - values["base_rss_mb"])
        elif metric.key in values:
            found.append(float(values[metric.key]))
    return found


def _errors(runs: list[dict[str, Any]], measure: str, wire: str, client: str) -> list[str]:
    return [
        run["error"]
        for run in runs
        if run["client"] == client and run["wire"] == wire and not run["ok"] and measure in run["measures"]
    ]


def _target(metric: Metric, row: Row, runs: list[dict[str, Any]]) -> tuple[str, bool | None]:
    """The issue's target for a port row, and whether this run meets it."""
    if row.client not in ("port", "gateway") or row.median is None:
        return "", None
    key = (metric.measure, metric.key)
    if key in (("gateway_overhead", "overhead_ms"), ("gateway_overhead", "json_overhead_ms")):
        return "≤ 1 ms", row.median <= 1
    if key == ("gateway_concurrent", "wall_s"):
        measured = _measure_values(runs, metric.measure, row.wire, "port")
        clean = all(v["errors"] == 0 and v["lost_chunks"] == 0 for v in measured)
        failed = _errors(runs, metric.measure, row.wire, "port")
        return "0 errors, 0 lost chunks", bool(measured) and clean and not failed
    if key == ("cpu", "cpu_ms_per_1k"):
        return "≤ 1.5× floor", row.ratio is not None and row.ratio <= 1.5
    if key == ("short", "ms_per_request"):
        return "≤ floor + 0.5 ms", row.over_floor is not None and row.over_floor <= 0.5
    if key == ("concurrent", "wall_s"):
        errors = sum(
            run["values"]["concurrent"]["errors"]
            for run in runs
            if run["client"] == "port"
            and run["wire"] == row.wire
            and run["ok"]
            and "concurrent" in run["values"]
        )
        return "≤ 1.3× floor, 0 errors", row.ratio is not None and row.ratio <= 1.3 and errors == 0
    if key == ("concurrent", "peak_rss_mb"):
        return "≤ 100 MB", row.median <= 100
    if key == ("import", "import_ms"):
        return "≤ 150 ms", row.median <= 150
    if key == ("import", "added_rss_mb"):
        return "≤ 25 MB", row.median <= 25
    if key == ("handlers", "rss_mb"):
        return "≤ aiohttp + 8 MB", row.over_floor is not None and row.over_floor <= 8
    if key in (("limiter_overhead", "overhead_us"), ("router_overhead", "overhead_us")):
        return "≤ 20 µs", row.median <= 20
    if key in (("ledger_overhead", "overhead_us"), ("ledger_overhead", "record_overhead_us")):
        return "≤ 50 µs", row.median <= 50
    if key == ("router_cpu", "cpu_vs_handler"):
        return "≤ 1.05× handler", row.median <= 1.05
    if metric.measure in QUOTA_MEASURES:
        quota_runs = _measure_values(runs, metric.measure, row.wire, row.client)
        clean = bool(quota_runs) and all(values["errors"] == 0 for values in quota_runs)
        if metric.key == "share_429_pct":
            return "≤ 5 %, 0 errors", row.median <= 5 and clean
        if metric.key == "time_vs_ideal":
            return "≤ 1.3× ideal, 0 errors", row.median <= 1.3 and clean
    return "", None


def _measure_values(runs: list[dict[str, Any]], measure: str, wire: str, client: str) -> list[dict[str, Any]]:
    """The values of ``measure`` from every successful run of ``client`` on ``wire``."""
    return [
        run["values"][measure]
        for run in runs
        if run["client"] == client and run["wire"] == wire and run["ok"] and measure in run["values"]
    ]


def summarize(runs: list[dict[str, Any]], wires_of: dict[str, list[str]]) -> list[Row]:
    """The table's rows: every metric, wire and client that was run, in a stable order."""
    rows: list[Row] = []
    for metric in METRICS:
        for wire in wires_of.get(metric.measure, []):
            floor_values = _values(runs, metric, wire, "floor")
            floor_median = statistics.median(floor_values) if floor_values else None
            for client in CLIENTS:
                if not any(
                    r["client"] == client and r["wire"] == wire and metric.measure in r["measures"]
                    for r in runs
                ):
                    continue
                values = _values(runs, metric, wire, client)
                median = statistics.median(values) if values else None
                row = Row(
                    label=metric.label,
                    unit=metric.unit,
                    wire=wire,
                    client=_shown(metric.measure, client),
                    runs=len(values),
                    median=median,
                    low=min(values) if values else None,
                    high=max(values) if values else None,
                    ratio=median / floor_median if median is not None and floor_median else None,
                    over_floor=median - floor_median
                    if median is not None and floor_median is not None
                    else None,
                )
                row.target, row.met = _target(metric, row, runs)
                notes = []
                if metric.measure in GATEWAY_MEASURES:
                    notes.extend(_proxy_notes(metric, _measure_values(runs, metric.measure, wire, client), client))
                elif metric.key == "wall_s":
                    errors = [
                        run["values"]["concurrent"]
                        for run in runs
                        if run["client"] == client
                        and run["wire"] == wire
                        and run["ok"]
                        and "concurrent" in run["values"]
                    ]
                    total = sum(e["errors"] for e in errors)
                    notes.append(f"{total} errors")
                    first = next((e["first_error"] for e in errors if e.get("first_error")), None)
                    if first:
                        notes.append(first[:80])
                if metric.measure in QUOTA_MEASURES:
                    notes.extend(_quota_notes(metric, _measure_values(runs, metric.measure, wire, client)))
                if metric.key == "wall_vs_router":
                    measured = _measure_values(runs, metric.measure, wire, client)
                    if measured:
                        plain = statistics.median(v["plain_s"] for v in measured)
                        ledgered = statistics.median(v["ledger_s"] for v in measured)
                        errors = sum(v["errors"] for v in measured)
                        notes.append(f"{plain:.3f} s router, {ledgered:.3f} s with ledger and budgets, {errors} errors")
                elif metric.key == "overhead_us" and metric.measure in ("router_overhead", "ledger_overhead"):
                    measured = _measure_values(runs, metric.measure, wire, client)
                    if measured:
                        plain = statistics.median(v["plain_ms"] for v in measured)
                        routed = statistics.median(v["router_ms"] for v in measured)
                        base, over = (("bare handler", "router") if metric.measure == "router_overhead"
                                      else ("bare router", "router + ledger"))
                        notes.append(f"short request {plain:.3f} ms {base}, {routed:.3f} ms {over}")
                elif metric.key == "cpu_vs_handler":
                    measured = _measure_values(runs, metric.measure, wire, client)
                    if measured:
                        plain = statistics.median(v["plain_cpu_ms_per_1k"] for v in measured)
                        routed = statistics.median(v["router_cpu_ms_per_1k"] for v in measured)
                        notes.append(f"{plain:.2f} ms bare handler, {routed:.2f} ms router")
                elif metric.key == "overhead_us":
                    measured = _measure_values(runs, metric.measure, wire, client)
                    if measured:
                        plain = statistics.median(v["plain_ms"] for v in measured)
                        limited = statistics.median(v["limited_ms"] for v in measured)
                        notes.append(f"short request {plain:.3f} ms plain, {limited:.3f} ms limited")
                if metric.measure == "handlers" and client == "port":
                    notes.extend(_handler_notes(runs))
                if metric.key == "ms_per_request" and row.over_floor is not None and client != "floor":
                    notes.append(f"{row.over_floor:+.3f} ms vs floor")
                if (
                    metric.key == "rss_mb"
                    and metric.measure == "handlers"
                    and row.over_floor is not None
                    and client != "floor"
                ):
                    notes.insert(0, f"{row.over_floor:+.1f} MB over aiohttp")
                failures = _errors(runs, metric.measure, wire, client)
                if failures:
                    notes.append(f"{len(failures)} failed: {failures[0][:120]}")
                row.note = "; ".join(notes)
                rows.append(row)
    return rows


def _shown(measure: str, client: str) -> str:
    """The client column: botocore is the signing measure's floor; the gateway measure names
    the proxy."""
    if measure == "sign" and client == "floor":
        return "botocore"
    if measure in GATEWAY_MEASURES:
        return PROXY_NAMES.get(client, client)
    return client


def _proxy_notes(metric: Metric, measured: list[dict[str, Any]], client: str) -> list[str]:
    """What the HTTP proxy rows add: the medians behind a difference, the sizes, the errors."""
    if not measured:
        return []
    median = statistics.median
    library = {"floor": "raw aiohttp", "port": "handler"}.get(client, "litellm.acompletion")
    if client == "litellm" and metric.key.startswith("json_"):
        library += "(stream=False)"
    if metric.key in ("overhead_ms", "json_overhead_ms"):
        prefix = metric.key[: -len("overhead_ms")]
        inside = median(v[f"{prefix}in_process_ms"] for v in measured)
        through = median(v[f"{prefix}proxy_ms"] for v in measured)
        where = "straight to the server" if client == "floor" else "in-process"
        return [f"{library} {where} {inside:.3f} ms, through the proxy {through:.3f} ms "
                f"({measured[0]['requests']} each, alternating)"]
    if metric.key == "sdk_overhead_ms":
        direct = [v["sdk_direct_ms"] for v in measured if "sdk_direct_ms" in v]
        through = [v["sdk_proxy_ms"] for v in measured if "sdk_proxy_ms" in v]
        return [f"openai SDK to the server {median(direct):.3f} ms, through the proxy {median(through):.3f} ms"] if direct else []
    if metric.key in ("proxy_cpu_ms", "json_proxy_cpu_ms"):
        inside = median(v[metric.key.replace("proxy_cpu", "in_process_cpu")] for v in measured)
        where = "straight to the server" if client == "floor" else "in-process"
        return [f"user + system CPU of the proxy process per request; the {library} {where} {inside:.3f} ms"]
    if metric.key == "wall_s":
        first = measured[0]
        errors = sum(v["errors"] for v in measured)
        lost = sum(v["lost_chunks"] for v in measured)
        cpu = median(v["proxy_cpu_s"] for v in measured)
        notes = [f"{first['streams']} streams × {first['deltas']} deltas", f"{errors} errors",
                 f"{lost} chunks lost", f"proxy CPU {cpu:.1f} s"]
        error = next((v["first_error"] for v in measured if v.get("first_error")), None)
        if error:
            notes.append(error[:80])
        return notes
    if metric.key == "peak_rss_mb":
        idle = median(v["idle_rss_mb"] for v in measured)
        start = median(v["start_s"] for v in measured)
        return [f"{idle:.0f} MB idle after start (started in {start:.1f} s)"]
    return []


def _quota_notes(metric: Metric, measured: list[dict[str, Any]]) -> list[str]:
    """What the 3 × Q rows add: the counts behind the share, the ideal and the errors."""
    if not measured:
        return []
    first = measured[0]
    if metric.key == "share_429_pct":
        refused = "/".join(str(v["refused"]) for v in measured)
        return [f"429s {refused} of {first['requests']} requests per run"]
    errors = sum(v["errors"] for v in measured)
    wall = statistics.median(v["wall_s"] for v in measured)
    quota = first["quota_per_s"]
    notes = [
        f"ideal {first['ideal_s']:.2f} s ({first['requests']} at Q = {quota:g}/s, limiter at {3 * quota:g}/s)",
        f"wall {wall:.2f} s",
        f"{errors} errors",
    ]
    error = next((v["first_error"] for v in measured if v.get("first_error")), None)
    if error:
        notes.append(error[:80])
    return notes


def _handler_notes(runs: list[dict[str, Any]]) -> list[str]:
    for run in runs:
        if run["client"] == "port" and run["ok"] and "handlers" in run["values"]:
            values = run["values"]["handlers"]
            notes = [f"built {len(values['built'])}: {', '.join(values['built'])}"]
            if values["missing"]:
                notes.append("not built: " + ", ".join(f"{k} ({v})" for k, v in values["missing"].items()))
            notes.append("heavy modules loaded: " + (", ".join(values["heavy_modules_loaded"]) or "none"))
            return notes
    return []


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def render_table(rows: list[Row], markdown: bool = False) -> str:
    """The rows as a plain-text (or Markdown) table."""
    head = ["measure", "wire", "client", "median", "min–max", "× floor", "target", "notes"]
    lines = []
    for row in rows:
        target = ""
        if row.target:
            target = f"{row.target} {'✓' if row.met else '✗'}"
        lines.append(
            [
                f"{row.label} ({row.unit})",
                row.wire,
                row.client,
                _number(row.median),
                f"{_number(row.low)}–{_number(row.high)}" if row.runs > 1 else "",
                f"{row.ratio:.2f}×" if row.ratio is not None else "—",
                target,
                row.note,
            ]
        )
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in line) + " |" for line in lines]
        return "\n".join(out)
    widths = [
        max(len(head[i]), *(len(line[i]) for line in lines)) if lines else len(head[i])
        for i in range(len(head) - 1)
    ]

    def fmt(cells: list[str]) -> str:
        return "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(cells[:-1])) + "  " + cells[-1]

    return "\n".join([fmt(head), fmt(["-" * w for w in widths] + ["-----"])] + [fmt(line) for line in lines])


def write_json(path: Path, meta: dict[str, Any], runs: list[dict[str, Any]], rows: list[Row]) -> None:
    """Raw results: the run's parameters, every worker's values and the summary rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"meta": meta, "runs": runs, "summary": [asdict(row) for row in rows]}, indent=2)
    )


def write_chart(path: Path, rows: list[Row], title: str) -> str | None:
    """A horizontal bar chart of every ratio to the floor; ``None`` when written, else why not."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (pip install -e '.[bench]')"
    shown = [row for row in rows if row.ratio is not None and row.client not in ("floor", "botocore")]
    if not shown:
        return "no ratios to chart"
    colors = {
        "port": "#2a7ab9",
        "openai-python": "#6f6f6f",
        "anthropic-python": "#b5651d",
        "litellm": "#8e44ad",
    }
    height = max(3.0, 0.28 * len(shown) + 1.2)
    figure, axes = plt.subplots(figsize=(10, height))
    labels = [" · ".join(part for part in (row.label, row.wire, row.client) if part != "-") for row in shown]
    positions = list(range(len(shown)))[::-1]
    ratios = [row.ratio or 0.0 for row in shown]
    axes.barh(positions, ratios, color=[colors.get(row.client, "#999999") for row in shown])
    for y, ratio in zip(positions, ratios):
        axes.text(ratio, y, f" {ratio:.2f}×", va="center", fontsize=7)
    axes.set_yticks(positions, labels, fontsize=7)
    axes.axvline(1.0, color="black", linewidth=0.8)
    axes.set_xscale("log")
    axes.set_xlabel("ratio to the floor of the same run (log scale; floor = 1, lower is better)")
    axes.set_title(title, fontsize=9)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return None
