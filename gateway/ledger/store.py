"""What the ledger asks of a store (ours): SQLite (``store_sqlite``) and PostgreSQL
(``store_postgres``) answer the same calls with the same schema and semantics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol

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


# what a lease asks of one counter: its key and period, the budget's limit, what the
# reservation lacks (``need``) and one request's estimate (``step``, the lease's unit)
Want = tuple[str, str, float, float, float]

LEASE_STEPS = 64
"""A lease holds at most this many request estimates beyond what the reservation lacks ..."""
LEASE_SHARE = 8
"""... and at most 1/LEASE_SHARE of what the budget has left after it, in whole estimates."""


def lease_grant(limit: float, held: float, need: float, step: float) -> float | None:
    """What a lease adds to a counter holding ``used + reserved = held``: ``need`` and some
    whole ``step``s more, or None when ``need`` does not fit under ``limit``."""
    free = limit - held
    if need > free:
        return None
    if step <= 0:
        return need
    return need + step * min(LEASE_STEPS, int((free - need) / (LEASE_SHARE * step)))


class LeaseRefused(Exception):
    """``wants[index]`` does not fit: its counter holds ``held`` (used + reserved)."""

    def __init__(self, index: int, held: float) -> None:
        super().__init__(index, held)
        self.index = index
        self.held = held


class Store(Protocol):
    async def lease(self, wants: Sequence[Want]) -> list[float]:
        """Add ``lease_grant`` of every want to its counter's ``reserved`` in one transaction
        (the grants, in order), or none of them and raise ``LeaseRefused`` for the first that
        does not fit."""

    def lease_now(self, wants: Sequence[Want]) -> list[float] | None:
        """``lease`` at once, without waiting, when the store can, else None (nothing done: the
        caller awaits ``lease``)."""

    async def write(self, rows: Sequence[Row], deltas: Sequence[Delta]) -> None:
        """Insert rows and apply counter changes in one transaction."""

    def write_now(self, rows: Sequence[Row], deltas: Sequence[Delta]) -> bool:
        """``write`` at once, without waiting, when the store can (True), else nothing done."""

    async def sums(self, since: float, until: float) -> list[Grouped]:
        """Totals of the attempts started in [since, until), grouped by every GROUP_COLUMNS."""

    async def counter(self, scope_id: str, period: str) -> tuple[float, float]:
        """A budget counter's (used, reserved)."""

    async def stats(self, deployment: str) -> Stats: ...

    async def aclose(self) -> None: ...
