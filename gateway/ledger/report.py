"""Cost reports (ours): the brief's ``CostReport`` (``total_tokens``, ``estimated_cost_usd``,
``by_strategy``, ``by_provider``) with groupings by deployment, model, key id and UTC day, and the
requested grouping's rows as a table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Union

from .store import GROUP_COLUMNS, Grouped

# a report's dimension -> the attempts column; attempts without a strategy or key id group as "-"
DIMENSIONS = {"provider": "provider", "strategy": "strategy", "deployment": "deployment",
              "model": "model", "key": "key_id", "day": "day"}

When = Union[float, date, datetime, str, None]


@dataclass
class Totals:
    requests: int = 0
    failed: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float = 0.0

    def add(self, sums: Sequence[Any]) -> None:
        """Add a grouped row's sums (requests, input, output, cache read, cache write, total,
        cost, failed)."""
        self.requests += sums[0]
        self.input_tokens += sums[1]
        self.output_tokens += sums[2]
        self.cache_read_tokens += sums[3]
        self.cache_write_tokens += sums[4]
        self.total_tokens += sums[5]
        self.cost_usd += sums[6]
        self.failed += sums[7]


@dataclass
class Group:
    key: dict[str, str]
    totals: Totals


@dataclass
class CostReport:
    total_tokens: int
    estimated_cost_usd: float
    by_strategy: dict[str, Totals]
    by_provider: dict[str, Totals]
    by_deployment: dict[str, Totals]
    by_model: dict[str, Totals]
    by_key: dict[str, Totals]
    by_day: dict[str, Totals]
    group_by: tuple[str, ...]
    groups: list[Group] = field(default_factory=list)
    total: Totals = field(default_factory=Totals)
    since: float | None = None
    until: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {**asdict(self), "group_by": list(self.group_by)}


def check_group_by(group_by: Iterable[str]) -> tuple[str, ...]:
    names = tuple(group_by)
    unknown = [name for name in names if name not in DIMENSIONS]
    if unknown or not names:
        raise ValueError(f"group_by takes one or more of {', '.join(DIMENSIONS)}; got {', '.join(unknown) or 'none'}")
    return names


def to_timestamp(value: When, *, end: bool = False) -> float | None:
    """A report bound as ``time.time()`` seconds. A date (or ``YYYY-MM-DD``) is its UTC midnight,
    and, as an end, the next one (the day is included); a naive datetime is UTC."""
    if value is None or isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"not a date or time: {value!r} (expected e.g. 2026-12-01)") from exc
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time(), timezone.utc).timestamp()


def build_report(
    grouped: list[Grouped], group_by: tuple[str, ...], since: float | None, until: float | None
) -> CostReport:
    singles: dict[str, dict[str, Totals]] = {name: {} for name in DIMENSIONS}
    combined: dict[tuple[str, ...], Totals] = {}
    positions = [GROUP_COLUMNS.index(DIMENSIONS[name]) for name in group_by]
    total = Totals()
    for row in grouped:
        sums = row[len(GROUP_COLUMNS):]
        total.add(sums)
        for name, column in DIMENSIONS.items():
            singles[name].setdefault(row[GROUP_COLUMNS.index(column)], Totals()).add(sums)
        combined.setdefault(tuple(row[i] for i in positions), Totals()).add(sums)
    total.cost_usd = math.fsum(row[len(GROUP_COLUMNS) + 6] for row in grouped)
    return CostReport(
        total_tokens=total.total_tokens,
        estimated_cost_usd=total.cost_usd,
        by_strategy=singles["strategy"],
        by_provider=singles["provider"],
        by_deployment=singles["deployment"],
        by_model=singles["model"],
        by_key=singles["key"],
        by_day=singles["day"],
        group_by=group_by,
        groups=[Group(dict(zip(group_by, key)), combined[key]) for key in sorted(combined)],
        total=total,
        since=since,
        until=until,
    )


_NUMBERS = ("requests", "failed", "input_tokens", "output_tokens", "total_tokens", "cost_usd")


def _cells(report: CostReport) -> tuple[list[str], list[list[str]]]:
    header = [*report.group_by, *_NUMBERS]
    rows = [
        [*group.key.values(), *(_number(getattr(group.totals, name)) for name in _NUMBERS)]
        for group in report.groups
    ]
    return header, rows


def _number(value: float) -> str:
    return f"{value:.6f}" if isinstance(value, float) else str(value)


def format_table(report: CostReport) -> str:
    header, rows = _cells(report)
    total = ["total", *[""] * (len(report.group_by) - 1), *(_number(getattr(report.total, n)) for n in _NUMBERS)]
    table = [header, *rows, total]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    numeric = len(report.group_by)

    def line(cells: list[str]) -> str:
        return "  ".join(
            cell.rjust(width) if i >= numeric else cell.ljust(width) for i, (cell, width) in enumerate(zip(cells, widths))
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows), rule, line(total)])


def format_json(report: CostReport) -> str:
    return json.dumps(report.to_dict(), indent=2, sort_keys=False)


def format_csv(report: CostReport) -> str:
    header, rows = _cells(report)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


FORMATS = {"table": format_table, "json": format_json, "csv": format_csv}
