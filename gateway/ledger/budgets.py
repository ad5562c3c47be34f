"""Token and cost budgets (ours; no reference counterpart): what a budget bounds, the calendar
UTC period it counts in, and what one request claims against the period counters.

A period budget (``per="day"`` or ``"month"``) is one counter row per period in the store
(``budget_usage``: ``used`` by settled requests, ``reserved`` by requests in flight and by the
leases of the processes sharing it). A process reserves from its lease of each counter
(``Counter.spare``, in memory) and leases more from the store, in one transaction, only while
``used + reserved + lease <= limit`` holds there; that keeps the budget under concurrency, in one
process and across processes. ``per="query"`` bounds a single request's estimate and counts
nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from ..errors import BudgetExceeded

PERIODS = ("query", "day", "month")


@dataclass(frozen=True)
class Budget:
    """A limit in tokens or in USD, per query, UTC day or UTC month, for every request or only
    those of one ``deployment`` and/or one caller ``key`` (a key id, never the key itself)."""

    tokens: int | None = None
    usd: float | None = None
    per: str = "day"
    deployment: str | None = None
    key: str | None = None

    def __post_init__(self) -> None:
        if (self.tokens is None) == (self.usd is None):
            raise ValueError("a Budget takes exactly one limit: tokens=... or usd=...")
        if self.tokens is not None:
            if isinstance(self.tokens, bool) or not isinstance(self.tokens, int):
                raise ValueError(f"Budget tokens must be an int, not {type(self.tokens).__name__}")
            if self.tokens <= 0:
                raise ValueError(f"Budget tokens must be positive, got {self.tokens}")
        if self.usd is not None:
            if isinstance(self.usd, bool) or not isinstance(self.usd, (int, float)):
                raise ValueError(f"Budget usd must be a number, not {type(self.usd).__name__}")
            if not math.isfinite(self.usd) or self.usd <= 0:
                raise ValueError(f"Budget usd must be a positive finite amount, got {self.usd}")
        if self.per not in PERIODS:
            raise ValueError(f"Budget per must be one of {', '.join(PERIODS)}; got {self.per!r}")
        for name in ("deployment", "key"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise ValueError(f"Budget {name} must be a non-empty string or None")

    @property
    def unit(self) -> str:
        return "tokens" if self.tokens is not None else "usd"

    @property
    def limit(self) -> float:
        return self.tokens if self.tokens is not None else self.usd  # type: ignore[return-value]

    @property
    def scope(self) -> str:
        """What ``BudgetExceeded.scope`` says: ``"day"``, ``"month key=team-a"``, ..."""
        parts = [self.per]
        if self.deployment is not None:
            parts.append(f"deployment={self.deployment}")
        if self.key is not None:
            parts.append(f"key={self.key}")
        return " ".join(parts)

    @property
    def scope_id(self) -> str:
        """The counter's key in the store: budgets of the same unit and scope share a counter."""
        return "\x1f".join((self.unit, self.per, self.deployment or "", self.key or ""))

    def applies(self, deployment: str, key_id: str | None) -> bool:
        return (self.deployment is None or self.deployment == deployment) and (
            self.key is None or self.key == key_id
        )


def _utc_timestamp(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()


def period_of(per: str, now: float) -> tuple[str, float, float]:
    """The calendar UTC period holding ``now``: its label (``2026-12-03``, ``2026-12``) and the
    times it starts and ends (``time.time()`` seconds)."""
    today = datetime.fromtimestamp(now, timezone.utc).date()
    if per == "day":
        return today.isoformat(), _utc_timestamp(today), _utc_timestamp(today + timedelta(days=1))
    first_next = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    return f"{today.year:04d}-{today.month:02d}", _utc_timestamp(today.replace(day=1)), _utc_timestamp(first_next)


class Counter:
    """One period budget's counter in this process: what it leased from the store and has not
    handed out (``spare``; negative when settlements used more than their estimates and the
    lease), its last grant (``cap``), and how many reservations it served (``uses``; ``seen`` is
    that number when the idle check last looked)."""

    __slots__ = ("scope_id", "period", "scope", "unit", "tokens", "limit", "resets_at", "spare", "cap", "uses", "seen")

    def __init__(self, scope_id: str, period: str, scope: str, unit: str, limit: float, resets_at: float) -> None:
        self.scope_id = scope_id
        self.period = period
        self.scope = scope
        self.unit = unit
        self.tokens = unit == "tokens"  # else USD
        self.limit = limit
        self.resets_at = resets_at
        self.spare = self.cap = 0.0
        self.uses = self.seen = 0

    def exceeded(self, used: float) -> BudgetExceeded:
        return BudgetExceeded(self.scope, self.limit, used, self.resets_at, self.unit)


# one period budget a plan claims: its counter's key and scope, unit, limit and period kind
_Slot = tuple[str, str, str, float, str]


class Plan:
    """What a request against ``budgets`` on ``deployment`` for ``key_id`` checks: the per-query
    limits (``queries``: limit, unit, scope) and the period counters it claims, sorted by key
    (budgets sharing a counter claim it once, at the smallest limit); ``units``: those of all. ``counters`` are those of
    the periods holding [``since``, ``until``); ``refresh`` moves them to the period of ``now``."""

    __slots__ = ("budgets", "queries", "slots", "units", "counters", "since", "until")

    def __init__(self, budgets: tuple[Budget, ...], deployment: str, key_id: str | None) -> None:
        self.budgets = budgets
        self.queries: list[tuple[float, str, str]] = []
        merged: dict[str, _Slot] = {}
        for budget in budgets:
            if not budget.applies(deployment, key_id):
                continue
            if budget.per == "query":
                self.queries.append((budget.limit, budget.unit, budget.scope))
                continue
            known = merged.get(budget.scope_id)
            if known is None or budget.limit < known[3]:
                merged[budget.scope_id] = (budget.scope_id, budget.scope, budget.unit, budget.limit, budget.per)
        self.slots = sorted(merged.values())
        self.units = frozenset(unit for _, unit, _ in self.queries) | {slot[2] for slot in self.slots}
        self.counters: list[Counter] = []
        self.since = self.until = -math.inf  # nothing yet: the first request refreshes

    def refresh(self, now: float, counters: dict[tuple[str, str, float], Counter]) -> list[Counter]:
        self.counters, self.since, self.until = [], -math.inf, math.inf
        for scope_id, scope, unit, limit, per in self.slots:
            period, since, until = period_of(per, now)
            counter = counters.get((scope_id, period, limit))
            if counter is None:  # (budgets of different limits on one counter: a lease each)
                counter = counters[(scope_id, period, limit)] = Counter(scope_id, period, scope, unit, limit, until)
            self.counters.append(counter)
            self.since, self.until = max(self.since, since), min(self.until, until)
        return self.counters


@dataclass(slots=True)
class Reservation:
    """What ``Ledger.reserve`` holds for one request until ``settle`` or ``release``: its
    estimate on each of ``counters`` (the tokens or the USD, by the counter's unit)."""

    deployment: str
    key_id: str | None
    tokens_estimate: int
    usd_estimate: float
    counters: Sequence[Counter]
    open: bool = field(default=True, repr=False)
