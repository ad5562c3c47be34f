"""The attempts the ledger's tests record, and a process that drives a ledger (no tests).

``python tests/ledger_worker.py share URL LIMIT REQUESTS``: after a ``go`` line on stdin,
REQUESTS concurrent requests of 10 tokens each (reserved, then settled with exactly 10) against
one daily budget of LIMIT tokens; prints how many were admitted.
``python tests/ledger_worker.py load URL TASKS``: TASKS concurrent loops of reserve and settle
until killed, printing each settled attempt's ``started_at`` once ``settle`` has returned.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass, field

from gateway.errors import BudgetExceeded
from gateway.ledger import Budget, Ledger


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    total_cost: float | None = None


@dataclass
class Attempt:
    deployment: str = "main"
    provider: str = "openai"
    model: str = "gpt-4o"
    started_at: float = field(default_factory=time.time)
    latency_s: float = 0.5
    ttfc_s: float | None = 0.1
    outcome: str = "ok"
    error_class: str | None = None
    status: int | None = 200
    usage: Usage | None = field(default_factory=Usage)


async def share(url: str, limit: int, requests: int) -> None:
    budget = Budget(tokens=limit, per="day")
    ledger = Ledger(url)
    await ledger.budget_usage(budget)  # open (and migrate) before the start
    print("ready", flush=True)
    sys.stdin.readline()

    async def one() -> bool:
        try:
            reservation = await ledger.reserve([budget], deployment="main", tokens_estimate=10)
        except BudgetExceeded:
            return False
        await ledger.settle(reservation, Attempt(usage=Usage(input_tokens=4, output_tokens=6)))
        return True

    admitted = sum(await asyncio.gather(*(one() for _ in range(requests))))
    await ledger.aclose()
    print(admitted, flush=True)


async def load(url: str, tasks: int) -> None:
    budget = Budget(tokens=10**12, per="day")
    ledger = Ledger(url)
    base = time.time()

    async def loop(task: int) -> None:
        for n in range(10**9):
            reservation = await ledger.reserve([budget], deployment="main", tokens_estimate=100)
            attempt = Attempt(started_at=base + task + n * 1e-4, usage=Usage(input_tokens=n, output_tokens=1))
            ledger.record(Attempt(deployment="side"))
            await ledger.settle(reservation, attempt)
            sys.stdout.write(f"{attempt.started_at!r}\n")
            sys.stdout.flush()

    await asyncio.gather(*(loop(task) for task in range(tasks)))


if __name__ == "__main__":
    mode, url, *numbers = sys.argv[1:]
    if mode == "share":
        asyncio.run(share(url, int(numbers[0]), int(numbers[1])))
    else:
        asyncio.run(load(url, int(numbers[0])))
