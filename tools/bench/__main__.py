"""``python -m tools.bench``: the port against the raw aiohttp floor and its peers, in one run.

Starts the loopback server (``tools.bench.server``) in a process of its own, then runs every
measurement in a fresh worker process (``tools.bench.worker``), the clients interleaved within
each repetition (their order rotates from one repetition to the next). Prints the table, writes
the raw results as JSON and the ratios as a PNG chart.

``--quick``: one repetition, smaller sizes, and the three stream measures of a client and wire
share one process (as do the three parts of the limiter measure), so that it finishes in under a
minute; the full run (the default) gives every measure its own process and repeats it three times.

``limiter`` (issue #11) has three parts, all through the port's openai handler: its overhead per
request when it never holds one back, and two runs of ``--quota-requests`` concurrent streams with
the limiter set to 3 × the server's quota (``--quota-per-s``), one with nothing but 429 +
``retry-after``, one with OpenAI's rate-limit headers on every reply.

``router`` (issue #16) has two parts, through a one-deployment ``gateway.router.Router`` on the
openai wire against the bare handler, requests alternating: the overhead per short request
(difference of the medians, wall and CPU), and the CPU per 1,000 deltas of a long stream
(``--router-rounds`` streams each way; the ratio of the medians).

``ledger`` (issue #17) has two parts, on the openai wire with a SQLite ledger in a temporary
directory and budgets (day, month per key id, per query) that admit every request: the overhead
per short request of the router with the ledger over the bare router (``--router-requests``,
alternating; difference of the medians), and ``--concurrency`` requests at once with budgets
against the same without a ledger (median wall time of three rounds each, alternating).

``gateway`` (issue #20) runs HTTP proxies in processes of their own in front of the loopback
server on the openai wire (``tools.bench.proxies``): the port's gateway (``python -m gateway
serve``, client ``port``), its floor, a bare aiohttp relay (``tools.bench.relay``, client
``floor``: the same hop with none of a proxy's work, against raw aiohttp straight to the
server), and, side by side when litellm is selected and ``litellm[proxy]`` is installed, the
LiteLLM proxy (client ``litellm``). Two parts: the latency a proxy adds to a short
request over its library called in-process (``--gateway-requests`` each way, alternating, raw
aiohttp as the proxy's client, streamed and with ``"stream": false``; the difference of the
medians; the proxy process's CPU per request; again with the openai SDK as the client, through
the proxy against straight to the server), and
``--concurrency`` streams of ``--gateway-deltas`` at once through it (wall time, the proxy
process's peak RSS, errors and deltas lost: every stream must carry the upstream's deltas).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from gateway.eventloop import LOOPS, loop_name

from .clients import CLIENTS, PEER_MODULES, SUPPORTED_WIRES, WIRES
from .report import IMPORT_MODULES, render_table, summarize, write_chart, write_json
from .worker import GATEWAY_MEASURES, IMPORT_PROBE, LEDGER_MEASURES, LIMITER_MEASURES, ROUTER_MEASURES

ROOT = Path(__file__).resolve().parents[2]

MEASURES = (
    "import", "cpu", "short", "concurrent", "handlers", "sign", "limiter", "router", "ledger", "gateway"
)  # fmt: skip
STREAM_MEASURES = ("cpu", "short", "concurrent")

FULL = {
    "reps": 3,
    "long_deltas": 20_000,
    "short_requests": 200,
    "short_deltas": 10,
    "concurrency": 1000,
    "concurrent_deltas": 200,
    "sign_requests": 2000,
    "limiter_requests": 1000,
    "limiter_calls": 50_000,
    "quota_requests": 1000,
    "quota_per_s": 200.0,
    "router_requests": 1000,
    "router_rounds": 5,
    "gateway_requests": 500,
    "gateway_deltas": 50,
    "timeout": 900.0,
}
QUICK = {
    "reps": 1,
    "long_deltas": 1000,
    "short_requests": 20,
    "short_deltas": 10,
    "concurrency": 100,
    "concurrent_deltas": 20,
    "sign_requests": 200,
    "limiter_requests": 200,
    "limiter_calls": 10_000,
    "quota_requests": 250,
    "quota_per_s": 250.0,
    "router_requests": 300,
    "router_rounds": 5,
    "gateway_requests": 50,
    "gateway_deltas": 20,
    "timeout": 120.0,
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 repetition, smaller sizes (under a minute)")
    parser.add_argument(
        "--clients", default=",".join(CLIENTS), help="comma-separated subset of: " + ", ".join(CLIENTS)
    )
    parser.add_argument(
        "--measures", default=",".join(MEASURES), help="comma-separated subset of: " + ", ".join(MEASURES)
    )
    parser.add_argument("--reps", type=int, help="repetitions (full: 3, quick: 1)")
    parser.add_argument("--long-deltas", type=int, help="deltas of the CPU measure's one long stream")
    parser.add_argument("--short-requests", type=int, help="sequential short requests per measurement")
    parser.add_argument("--short-deltas", type=int, help="deltas of a short request")
    parser.add_argument("--concurrency", type=int, help="concurrent streams")
    parser.add_argument("--concurrent-deltas", type=int, help="deltas of each concurrent stream")
    parser.add_argument("--sign-requests", type=int, help="requests of the Bedrock signing measure")
    parser.add_argument(
        "--limiter-requests", type=int, help="short requests each, plain and limited (limiter overhead)"
    )
    parser.add_argument("--limiter-calls", type=int, help="acquire + observe calls (limiter overhead)")
    parser.add_argument("--quota-requests", type=int, help="concurrent requests of the limiter's 3 × Q run")
    parser.add_argument("--quota-per-s", type=float, help="the server's quota Q (requests/s) in that run")
    parser.add_argument(
        "--router-requests", type=int, help="short requests each, bare handler and router (router overhead)"
    )
    parser.add_argument(
        "--router-rounds", type=int, help="long streams each, bare handler and router (router CPU per delta)"
    )
    parser.add_argument(
        "--gateway-requests", type=int, help="short requests each, in-process and through the HTTP proxy"
    )
    parser.add_argument("--gateway-deltas", type=int, help="deltas of each concurrent stream through the HTTP proxy")
    parser.add_argument(
        "--proxy-loop", choices=LOOPS, default="auto",
        help="event loop of the gateway and the relay (their --loop; auto: uvloop when installed)",
    )
    parser.add_argument("--timeout", type=float, help="seconds a worker may take")
    parser.add_argument(
        "--json", type=Path, default=Path("bench-results/results.json"), help="raw results file"
    )
    parser.add_argument(
        "--chart", type=Path, default=Path("bench-results/ratios.png"), help="PNG chart of the ratios"
    )
    parser.add_argument("--no-chart", action="store_true", help="do not draw the chart")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args(argv)
    preset = QUICK if args.quick else FULL
    for key, value in preset.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # litellm would download its price list at import
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def available_clients(selected: list[str]) -> tuple[list[str], dict[str, str], list[str]]:
    """The clients to run, the skipped ones with why, and the wires the port can serve."""
    clients, skipped = [], {}
    for name in CLIENTS:
        if name != "floor" and name not in selected:
            skipped[name] = "not selected (--clients)"
        elif name in PEER_MODULES and importlib.util.find_spec(PEER_MODULES[name]) is None:
            skipped[name] = (
                f"not installed (the `bench` extra: pip install -e '.[bench]' brings {PEER_MODULES[name]})"
            )
        else:
            clients.append(name)
    port_wires = [
        wire for wire in WIRES if wire != "openai" or importlib.util.find_spec("providers.openai") is not None
    ]
    return clients, skipped, port_wires


class Server:
    """The loopback server process, for the whole run."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tools.bench.server"],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=_env(),
        )
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line.startswith("PORT "):
            self.close()
            raise RuntimeError(f"the bench server did not start: {line!r}")
        self.origin = f"http://127.0.0.1:{int(line.split()[1])}"

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def run_process(command: list[str], timeout: float) -> dict[str, Any]:
    """Run one worker; its result is the last ``RESULT`` line of its stdout."""
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=_env(), check=False
        )
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timed out after {timeout:.0f} s"}
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("RESULT "):
            return dict(json.loads(line[len("RESULT ") :]))
    tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return {"ok": False, "error": f"exit {done.returncode}: {tail}"[:500]}


def litellm_proxy_installed() -> bool:
    """Whether the LiteLLM proxy can run here (``litellm[proxy]`` brings uvicorn and fastapi)."""
    return all(importlib.util.find_spec(name) is not None for name in ("litellm", "uvicorn", "fastapi"))


def plan(
    args: argparse.Namespace, clients: list[str], port_wires: list[str]
) -> list[tuple[tuple[str, ...], str, list[str]]]:
    """The (measures, wire, clients) groups of one repetition."""
    measures = [m for m in MEASURES if m in args.measures.split(",")]
    groups: list[tuple[tuple[str, ...], str, list[str]]] = []
    if "import" in measures:
        groups.append((("import",), "-", clients))
    if "handlers" in measures and "port" in clients:
        groups.append((("handlers",), "-", ["floor", "port"]))
    if "sign" in measures and "port" in clients:
        groups.append((("sign",), "bedrock", ["floor", "port"]))
    if "limiter" in measures and "port" in clients and "openai" in port_wires:
        if args.quick:
            groups.append((LIMITER_MEASURES, "openai", ["port"]))
        else:
            groups.extend(((measure,), "openai", ["port"]) for measure in LIMITER_MEASURES)
    if "router" in measures and "port" in clients and "openai" in port_wires:
        if args.quick:
            groups.append((ROUTER_MEASURES, "openai", ["port"]))
        else:
            groups.extend(((measure,), "openai", ["port"]) for measure in ROUTER_MEASURES)
    if "ledger" in measures and "port" in clients and "openai" in port_wires:
        if args.quick:
            groups.append((LEDGER_MEASURES, "openai", ["port"]))
        else:
            groups.extend(((measure,), "openai", ["port"]) for measure in LEDGER_MEASURES)
    if "gateway" in measures and "port" in clients and "openai" in port_wires:
        proxies = ["floor", "port"] + (["litellm"] if "litellm" in clients and litellm_proxy_installed() else [])
        if args.quick:
            groups.append((GATEWAY_MEASURES, "openai", proxies))
        else:
            groups.extend(((measure,), "openai", proxies) for measure in GATEWAY_MEASURES)
    streams = tuple(m for m in STREAM_MEASURES if m in measures)
    for wire in WIRES:
        speakers = [c for c in clients if wire in SUPPORTED_WIRES[c] and (c != "port" or wire in port_wires)]
        if not streams or len(speakers) < 1:
            continue
        if args.quick:
            groups.append((streams, wire, speakers))
        else:
            groups.extend(((measure,), wire, speakers) for measure in streams)
    return groups


def command(
    measures: tuple[str, ...], wire: str, client: str, origin: str, args: argparse.Namespace
) -> list[str]:
    if measures == ("import",):
        return [sys.executable, "-c", IMPORT_PROBE, IMPORT_MODULES[client]]
    spec = {
        "measures": list(measures),
        "client": client,
        "wire": wire,
        "origin": origin,
        "long_deltas": args.long_deltas,
        "short_requests": args.short_requests,
        "short_deltas": args.short_deltas,
        "concurrency": args.concurrency,
        "concurrent_deltas": args.concurrent_deltas,
        "sign_requests": args.sign_requests,
        "limiter_requests": args.limiter_requests,
        "limiter_calls": args.limiter_calls,
        "quota_requests": args.quota_requests,
        "quota_per_s": args.quota_per_s,
        "router_requests": args.router_requests,
        "router_rounds": args.router_rounds,
        "gateway_requests": args.gateway_requests,
        "gateway_deltas": args.gateway_deltas,
        "proxy_loop": args.proxy_loop,
    }
    return [sys.executable, "-m", "tools.bench.worker", json.dumps(spec)]


def _versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for dist in ("provider-port", "aiohttp", "botocore", "openai", "anthropic", "litellm", "httpx"):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = None
    return versions


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    clients, skipped, port_wires = available_clients(args.clients.split(","))
    notes = [f"{name}: skipped, {why}" for name, why in skipped.items()]
    if "port" in clients and "openai" not in port_wires:
        notes.append("port/openai: not available (providers/openai.py does not exist yet)")
    if "gateway" in args.measures.split(",") and "litellm" in clients and not litellm_proxy_installed():
        notes.append("litellm proxy: skipped, not installed (the `bench` extra brings litellm[proxy])")
    groups = plan(args, clients, port_wires)
    total = args.reps * sum(len(group[2]) for group in groups)
    started = time.time()
    load_start = os.getloadavg() if hasattr(os, "getloadavg") else None
    runs: list[dict[str, Any]] = []
    server = Server()
    try:
        done = 0
        for rep in range(args.reps):
            for measures, wire, members in groups:
                shift = rep % len(members)
                for client in members[shift:] + members[:shift]:
                    done += 1
                    t0 = time.perf_counter()
                    result = run_process(command(measures, wire, client, server.origin, args), args.timeout)
                    if measures == ("import",) and result.get("ok"):
                        result["values"] = {"import": result["values"]}
                    status = "ok" if result["ok"] else f"FAILED {result['error'][:160]}"
                    print(
                        f"[{done}/{total}] rep {rep + 1} {'+'.join(measures)} {wire} {client}: {status} "
                        f"({time.perf_counter() - t0:.1f} s)",
                        file=sys.stderr,
                        flush=True,
                    )
                    runs.append(
                        {"rep": rep, "measures": list(measures), "wire": wire, "client": client, **result}
                    )
    finally:
        server.close()

    wires_of = {"import": ["-"], "handlers": ["-"], "sign": ["bedrock"]}
    wires_of.update(
        {
            measure: ["openai"]
            for measure in LIMITER_MEASURES + ROUTER_MEASURES + LEDGER_MEASURES + GATEWAY_MEASURES
        }
    )
    for measure in STREAM_MEASURES:
        wires_of[measure] = list(WIRES)
    rows = summarize(runs, wires_of)
    sizes = {key: getattr(args, key) for key in FULL}
    meta = {
        "mode": "quick" if args.quick else "full",
        "sizes": sizes,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "elapsed_s": round(time.time() - started, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg_start": load_start,
        "loadavg_end": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "versions": _versions(),
        "proxy_loop": loop_name(args.proxy_loop),
        "skipped": skipped,
        "notes": notes,
    }
    print(render_table(rows, markdown=args.markdown))
    print()
    print(
        f"{meta['mode']} run, {args.reps} repetition(s), {meta['elapsed_s']} s; "
        f"long stream {args.long_deltas} deltas; "
        f"short: {args.short_requests} × {args.short_deltas} deltas; concurrent: {args.concurrency} × "
        f"{args.concurrent_deltas} deltas; limiter: {args.limiter_requests} short requests plain and "
        f"limited, {args.quota_requests} concurrent at a quota of {args.quota_per_s:g}/s; "
        f"gateway: {args.gateway_requests} short requests each way, {args.concurrency} × "
        f"{args.gateway_deltas} deltas concurrent, the gateway and the relay on {meta['proxy_loop']}; "
        f"Python {meta['python']}, {meta['cpus']} CPUs"
    )
    for note in notes:
        print(note)
    targets = [row for row in rows if row.target]
    missed = [row for row in targets if not row.met]
    print(
        f"targets: {len(targets) - len(missed)} of {len(targets)} met"
        + (
            "; missed: " + "; ".join(f"{row.label} {row.wire}".replace(" -", "") for row in missed)
            if missed
            else ""
        )
    )
    write_json(args.json, meta, runs, rows)
    print(f"raw results: {args.json}")
    if not args.no_chart:
        why_not = write_chart(
            args.chart, rows, f"provider-port benchmark ({meta['mode']}, {meta['started']})"
        )
        print(f"chart: {args.chart}" if why_not is None else f"chart: skipped, {why_not}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
