"""What the ledger asks of a store (ours): SQLite (``store_sqlite``) and PostgreSQL
(``store_postgres``) answer the same calls with the same schema and semantics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol

from .budgets import Claim
from .rows import Row

# the dimensions a cost report groups by, as columns of ``attempts``
GROUP_COLUMNS = ("provider", "strategy", "deployment", "model", "key_id", "day")

# (reserved change, used change, counter scope, period): one counter update of a batch
Delta = tuple[float, float, str, str]

# GROUP_COLUMNS' values then requests, input, output, cache read, cache write and total tokens,
# cost and failed attempts of one group
Grouped = Sequence[Any]


class Stats(NamedTuple):
    """One deployment's totals; ``middle`` holds the one or two middle latencies."""

    requests: int
    tokens: int
    cost: float
    errors: int
    middle: list[float]


def median_window(count: int) -> tuple[int, int]:
    """(LIMIT, OFFSET) of the one or two middle values of ``count`` sorted values."""
    return (2 - count % 2, (count - 1) // 2) if count else (0, 0)


class Store(Protocol):
    async def reserve(self, claims: Sequence[Claim]) -> None:
        """Add every claim's amount to its counter's ``reserved`` in one transaction, or none
        of them and raise the first exceeded claim's ``BudgetExceeded``."""

    def reserve_now(self, claims: Sequence[Claim]) -> bool:
        """``reserve`` at once, without waiting, when the store can (True), else nothing done
        (False: the caller awaits ``reserve``)."""

    async def write(self, rows: Sequence[Row], deltas: Sequence[Delta]) -> None:
        """Insert rows and apply counter changes in one transaction."""

    async def sums(self, since: float, until: float) -> list[Grouped]:
        """Totals of the attempts started in [since, until), grouped by every GROUP_COLUMNS."""

    async def counter(self, scope_id: str, period: str) -> tuple[float, float]:
        """A budget counter's (used, reserved)."""

    async def stats(self, deployment: str) -> Stats: ...

    async def aclose(self) -> None: ...
