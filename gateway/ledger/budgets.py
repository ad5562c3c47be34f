"""Token and cost budgets (ours; no reference counterpart): what a budget bounds, the calendar
UTC period it counts in, and the claims one request makes against the stores' counters.

A period budget (``per="day"`` or ``"month"``) is one counter row per period in the store
(``budget_usage``: ``used`` by settled requests, ``reserved`` by requests in flight); a request's
estimate is added to ``reserved`` only while ``used + reserved + estimate <= limit`` holds, in
one statement, which is what keeps the budget under concurrency. ``per="query"`` bounds a
single request's estimate and counts nothing.
"""

from __future__ import annotations

import math
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


def period_of(per: str, now: float) -> tuple[str, float]:
    """The calendar UTC period holding ``now``: its label (``2026-12-03``, ``2026-12``) and the
    time it ends (``time.time()`` seconds)."""
    today = datetime.fromtimestamp(now, timezone.utc).date()
    if per == "day":
        return today.isoformat(), _utc_timestamp(today + timedelta(days=1))
    first_next = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    return f"{today.year:04d}-{today.month:02d}", _utc_timestamp(first_next)


@dataclass(frozen=True)
class Claim:
    """One period budget's share of a reservation: ``amount`` added to ``reserved``."""

    scope_id: str
    period: str
    scope: str
    unit: str
    limit: float
    amount: float
    resets_at: float

    def exceeded(self, used: float) -> BudgetExceeded:
        return BudgetExceeded(self.scope, self.limit, used, self.resets_at, self.unit)


@dataclass
class Reservation:
    """What ``Ledger.reserve`` holds for one request until ``settle`` or ``release``."""

    deployment: str
    key_id: str | None
    tokens_estimate: int
    usd_estimate: float
    claims: tuple[Claim, ...]
    open: bool = field(default=True, repr=False)


def claims_for(
    budgets: list[Budget] | tuple[Budget, ...],
    *,
    deployment: str,
    key_id: str | None,
    tokens_estimate: int,
    usd_estimate: float,
    now: float,
) -> tuple[Claim, ...]:
    """The period claims a request makes; a per-query budget its estimate exceeds raises
    ``BudgetExceeded`` (``used`` is that estimate, ``resets_at`` None) before any is made.
    Budgets sharing a counter claim it once, against the smallest limit; claims come sorted so
    that concurrent transactions lock counter rows in one order."""
    merged: dict[str, Claim] = {}
    for budget in budgets:
        if not budget.applies(deployment, key_id):
            continue
        amount = tokens_estimate if budget.unit == "tokens" else usd_estimate
        if budget.per == "query":
            if amount > budget.limit:
                raise BudgetExceeded(budget.scope, budget.limit, amount, None, budget.unit)
            continue
        period, resets_at = period_of(budget.per, now)
        known = merged.get(budget.scope_id)
        if known is None or budget.limit < known.limit:
            merged[budget.scope_id] = Claim(
                budget.scope_id, period, budget.scope, budget.unit, budget.limit, amount, resets_at
            )
    return tuple(sorted(merged.values(), key=lambda claim: claim.scope_id))
