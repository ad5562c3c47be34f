"""``python -m gateway report`` (ours): a cost report of the ledger, as a table, JSON or CSV."""

from __future__ import annotations

import argparse
import asyncio

from .ledger import Ledger
from .report import DIMENSIONS, FORMATS, check_group_by
from .url import default_url


def add_report_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "report",
        help="print a cost report of the usage ledger",
        description="Cost report of the usage ledger: requests, tokens and USD, grouped as asked.",
    )
    parser.add_argument("--db", metavar="URL", help=f"ledger database URL (default: {default_url()})")
    parser.add_argument("--since", metavar="WHEN", help="first UTC day or ISO time included, e.g. 2026-12-01")
    parser.add_argument("--until", metavar="WHEN", help="last UTC day included, or an ISO time (excluded)")
    parser.add_argument(
        "--by", default="provider", metavar="DIMS",
        help=f"comma-separated grouping, of {', '.join(DIMENSIONS)} (default: provider)",
    )
    parser.add_argument("--format", choices=tuple(FORMATS), default="table")
    parser.set_defaults(run=run_report)


def run_report(args: argparse.Namespace) -> str:
    group_by = check_group_by(name.strip() for name in args.by.split(",") if name.strip())

    async def report() -> str:
        ledger = Ledger(args.db)
        try:
            return FORMATS[args.format](await ledger.cost_report(args.since, args.until, group_by))
        finally:
            await ledger.aclose()

    return asyncio.run(report())
