"""What ``python -m parity`` shows: a table per provider, the diffs, and an HTML side-by-side."""

from __future__ import annotations

import html
import json
from collections import Counter
from pathlib import Path
from typing import Iterable

from .compare import format_mismatch
from .suite import OUTCOMES, Outcome

LABELS = {
    "match": "match",
    "mismatch": "MISMATCH",
    "known_gap": "known gap",
    "gap_passes": "GAP PASSES (remove it from KNOWN_GAPS)",
    "not_ported": "not ported",
    "harness_error": "HARNESS ERROR",
}


def tables(outcomes: list[Outcome]) -> str:
    """One table per provider: scenario, outcome, mismatch categories or reason, seconds."""
    lines: list[str] = []
    for provider in sorted({o.provider for o in outcomes}):
        rows = [o for o in outcomes if o.provider == provider]
        counts = Counter(o.status for o in rows)
        summary = ", ".join(f"{counts[s]} {LABELS[s].split(' (')[0].lower()}" for s in OUTCOMES if counts[s])
        lines.append(f"\n{provider}  ({len(rows)} scenarios: {summary})")
        width = max(len(o.scenario_id.split('/', 1)[1]) for o in rows)
        for o in rows:
            name = o.scenario_id.split("/", 1)[1]
            detail = _detail(o)
            lines.append(f"  {name:<{width}}  {LABELS[o.status]:<10}  {o.seconds:5.2f}s  {detail}".rstrip())
    return "\n".join(lines)


def _detail(o: Outcome) -> str:
    if o.mismatches:
        categories = Counter(m.category for m in o.mismatches)
        text = ", ".join(f"{c}×{n}" if n > 1 else c for c, n in categories.items())
        return f"[{text}] {o.reason}".rstrip()
    return o.reason.strip().splitlines()[-1] if o.reason.strip() else ""


def diffs(outcomes: Iterable[Outcome]) -> str:
    """The readable diff of every mismatch (known gaps included), and harness errors in full."""
    parts: list[str] = []
    for o in outcomes:
        if o.status in ("mismatch", "known_gap"):
            parts.append(f"\n=== {o.scenario_id}: {len(o.mismatches)} mismatch(es)")
            parts.extend(format_mismatch(m) for m in o.mismatches)
        elif o.status == "harness_error":
            parts.append(f"\n=== {o.scenario_id}: harness error\n{o.reason}")
    return "\n".join(parts)


def totals(outcomes: list[Outcome]) -> str:
    counts = Counter(o.status for o in outcomes)
    return f"{len(outcomes)} scenarios: " + ", ".join(
        f"{counts[s]} {LABELS[s].split(' (')[0].lower()}" for s in OUTCOMES if counts[s]
    )


def write_html(outcomes: list[Outcome], path: Path) -> None:
    """A page per run: the tables, then each scenario with golden and transcript side by side."""
    esc = html.escape
    rows = []
    for o in outcomes:
        rows.append(
            f"<tr class='{o.status}'><td>{esc(o.scenario_id)}</td><td>{esc(LABELS[o.status])}</td>"
            f"<td>{esc(_detail(o))}</td><td>{o.seconds:.2f}</td></tr>"
        )
    sections = []
    for o in outcomes:
        if o.status in ("match", "not_ported"):
            continue
        mismatch_text = "\n\n".join(format_mismatch(m) for m in o.mismatches) or o.reason
        sections.append(
            f"<details open><summary>{esc(o.scenario_id)}: {esc(LABELS[o.status])}</summary>"
            f"<pre class='diff'>{esc(mismatch_text)}</pre><div class='sbs'>"
            f"<div><h4>golden</h4><pre>{esc(_pretty(o.golden))}</pre></div>"
            f"<div><h4>port</h4><pre>{esc(_pretty(o.transcript))}</pre></div></div></details>"
        )
    page = f"""<!doctype html><meta charset="utf-8"><title>provider-port parity</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 1.5em; }}
table {{ border-collapse: collapse; }} td {{ padding: 2px 10px; border-bottom: 1px solid #ddd; }}
tr.match td:nth-child(2) {{ color: #080; }} tr.mismatch td:nth-child(2), tr.harness_error td:nth-child(2),
tr.gap_passes td:nth-child(2) {{ color: #b00; font-weight: bold; }} tr.known_gap td:nth-child(2) {{ color: #a60; }}
tr.not_ported td:nth-child(2) {{ color: #888; }}
.sbs {{ display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }}
pre {{ background: #f6f6f6; padding: .5em; overflow: auto; max-height: 40em; font-size: 12px; }}
pre.diff {{ background: #fff4f4; }}
</style>
<h1>provider-port parity</h1><p>{esc(totals(outcomes))}</p>
<table><tr><th>scenario</th><th>outcome</th><th>detail</th><th>s</th></tr>{''.join(rows)}</table>
{''.join(sections)}
"""
    path.write_text(page, encoding="utf-8")


def _pretty(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) if value is not None else "(none)"
