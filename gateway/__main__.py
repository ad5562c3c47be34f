"""``python -m gateway COMMAND``: ``report`` (the ledger's cost report) and ``serve`` (the HTTP
gateway, ``gateway.server``)."""

from __future__ import annotations

import argparse
import sys

from .ledger.cli import add_report_parser
from .server.serve import add_serve_parser


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway", description="The gateway on the provider port.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_report_parser(commands)
    add_serve_parser(commands)
    args = parser.parse_args(argv)
    try:
        output = args.run(args)
    except (ValueError, OSError) as exc:  # a bad configuration, an unreadable file, a refused connection
        print(f"python -m gateway {args.command}: {exc}", file=sys.stderr)
        return 2
    if output:
        print(output.rstrip("\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
