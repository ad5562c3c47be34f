"""The usage ledger (ours): one row per attempt, budgets that hold under concurrency, cost
reports, deployment statistics and Prometheus metrics, over a SQLite or PostgreSQL store.

Rows and budget counter changes go through one writer task per ledger: ``record`` queues a row
and returns at once; ``settle`` and ``release`` queue theirs and wait until the batch holding
them is committed (group commit), so a settled request is durable when ``settle`` returns.
Rows nobody waits for (``record``, the router's ``settle_nowait``) are committed within
``LINGER_S``, together.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import BudgetExceeded
from .budgets import Budget, Claim, Reservation, claims_for, period_of
from .metrics import LedgerMetrics
from .report import CostReport, When, build_report, check_group_by, to_timestamp
from .rows import AttemptLike, Row, row_from_attempt
from .store import Delta
from .url import default_url, open_store

log = logging.getLogger("gateway.ledger")

BATCH_ROWS = 1000  # rows and counter changes per transaction, at most
LINGER_S = 0.005
"""How long the writer lets rows that nobody waits for (``record``, ``settle_nowait``) gather
before it commits them, unless a ``settle``, ``release`` or ``flush`` comes (one transaction,
one hand-off to the store's thread, for the requests of those milliseconds)."""


@dataclass
class DeploymentStats:
    request_count: int
    total_tokens: int
    cost_usd: float
    error_rate: float
    p50_latency_s: float | None


@dataclass
class _Write:
    rows: Sequence[Row]
    deltas: Sequence[Delta]
    done: asyncio.Future[None] | None


def _given_back(claims: Sequence[Claim]) -> list[Delta]:
    return [(-claim.amount, 0.0, claim.scope_id, claim.period) for claim in claims]


class Ledger:
    """``Ledger()`` opens the default SQLite file, ``Ledger(url)`` the database a URL names
    (``sqlite:////abs.db``, ``sqlite:///rel.db``, ``postgresql://...``); ``clock`` (seconds,
    like ``time.time``) decides budget periods. A ledger serves the event loop that first uses it."""

    def __init__(self, url: str | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self.url = default_url() if url is None else url
        self._store = open_store(self.url)
        self._clock = clock
        self.metrics = LedgerMetrics()
        self._pending: deque[_Write] = deque()
        self._wake: asyncio.Event | None = None
        self._urgent: asyncio.Event | None = None
        self._writer: asyncio.Task[None] | None = None
        self._closed = False

    # -- writing ---------------------------------------------------------------------------

    def _enqueue(self, write: _Write) -> None:
        if self._writer is None:
            self._wake = asyncio.Event()
            self._urgent = asyncio.Event()
            self._writer = asyncio.get_running_loop().create_task(self._write_loop(), name="ledger-writer")
        self._pending.append(write)
        assert self._wake is not None and self._urgent is not None
        self._wake.set()
        if write.done is not None:
            self._urgent.set()

    async def _write_loop(self) -> None:
        assert self._wake is not None and self._urgent is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self._urgent.is_set() and len(self._pending) < BATCH_ROWS:
                try:
                    await asyncio.wait_for(self._urgent.wait(), LINGER_S)
                except asyncio.TimeoutError:
                    pass
            self._urgent.clear()
            while self._pending:
                batch: list[_Write] = []
                size = 0
                while self._pending and size < BATCH_ROWS:
                    write = self._pending.popleft()
                    batch.append(write)
                    size += len(write.rows) + len(write.deltas)
                await self._commit(batch)

    async def _commit(self, batch: list[_Write]) -> None:
        changes: dict[tuple[str, str], list[float]] = {}
        for write in batch:
            for reserved, used, scope_id, period in write.deltas:
                change = changes.setdefault((scope_id, period), [0.0, 0.0])
                change[0] += reserved
                change[1] += used
        rows = [row for write in batch for row in write.rows]
        try:
            if rows or changes:
                await self._store.write(rows, [(r, u, s, p) for (s, p), (r, u) in changes.items()])
        except Exception as exc:
            for write in batch:
                if write.done is not None and not write.done.done():
                    write.done.set_exception(exc)
            unwaited = sum(len(write.rows) for write in batch if write.done is None)
            if unwaited:
                log.error("ledger: %d recorded attempt(s) not written: %s", unwaited, exc)
            return
        for write in batch:
            if write.done is not None and not write.done.done():
                write.done.set_result(None)

    async def _write_and_wait(self, rows: Sequence[Row], deltas: Sequence[Delta]) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._enqueue(_Write(rows, deltas, done))
        await done

    def _row(
        self, attempt: AttemptLike, strategy: str | None, key_id: str | None, model_info: Mapping[str, Any] | None
    ) -> Row:
        row = row_from_attempt(attempt, strategy, key_id, model_info)
        self.metrics.observe(row)
        return row

    def record(
        self,
        attempt: AttemptLike,
        *,
        strategy: str | None = None,
        key_id: str | None = None,
        model_info: Mapping[str, Any] | None = None,
    ) -> None:
        """Queue one attempt's row and return at once; a batch writes it off the request path.
        ``model_info`` (the handler's ``get_model()["info"]``) prices it when the attempt's
        usage has no ``total_cost``."""
        self._enqueue(_Write((self._row(attempt, strategy, key_id, model_info),), (), None))

    async def flush(self) -> None:
        """Wait until every row queued so far is written."""
        await self._write_and_wait((), ())

    # -- budgets ---------------------------------------------------------------------------

    async def reserve(
        self,
        budgets: Iterable[Budget],
        *,
        deployment: str,
        key_id: str | None = None,
        tokens_estimate: int,
        usd_estimate: float = 0.0,
    ) -> Reservation:
        """Reserve a request's estimate against every budget that applies to it, all or none,
        or raise ``BudgetExceeded`` for the first that it would exceed."""
        if isinstance(tokens_estimate, bool) or not isinstance(tokens_estimate, int) or tokens_estimate < 0:
            raise ValueError(f"tokens_estimate must be a non-negative int, got {tokens_estimate!r}")
        if not isinstance(usd_estimate, (int, float)) or not math.isfinite(usd_estimate) or usd_estimate < 0:
            raise ValueError(f"usd_estimate must be a non-negative amount, got {usd_estimate!r}")
        try:
            claims = claims_for(
                tuple(budgets),
                deployment=deployment,
                key_id=key_id,
                tokens_estimate=tokens_estimate,
                usd_estimate=float(usd_estimate),
                now=self._clock(),
            )
            if claims:
                await self._reserve(claims)
        except BudgetExceeded as exc:
            self.metrics.refused(exc.scope, exc.unit)
            raise
        return Reservation(deployment, key_id, tokens_estimate, float(usd_estimate), claims)

    async def _reserve(self, claims: tuple[Claim, ...]) -> None:
        """The store's reservation, at once when it can (``reserve_now``), else run to its end
        even when the caller is cancelled; what a cancelled caller reserved is given back as soon
        as it is known."""
        if self._store.reserve_now(claims):
            return
        reserving = asyncio.ensure_future(self._store.reserve(claims))
        try:
            await asyncio.shield(reserving)
        except asyncio.CancelledError:
            def give_back(done: asyncio.Future[None]) -> None:
                if not done.cancelled() and done.exception() is None:
                    self._enqueue(_Write((), _given_back(claims), None))

            reserving.add_done_callback(give_back)
            raise

    @staticmethod
    def _close(reservation: Reservation) -> None:
        if not reservation.open:
            raise ValueError("this reservation was already settled or released")
        reservation.open = False

    async def settle(
        self,
        reservation: Reservation,
        *attempts: AttemptLike,
        strategy: str | None = None,
        model_info: Mapping[str, Any] | None = None,
    ) -> None:
        """Record the request's attempts and replace its estimate by what they used; returns
        once that is committed."""
        await self._write_and_wait(*self._settlement(reservation, attempts, strategy, model_info))

    def settle_nowait(
        self,
        reservation: Reservation,
        *attempts: AttemptLike,
        strategy: str | None = None,
        model_info: Mapping[str, Any] | None = None,
    ) -> None:
        """``settle`` off the request path (the router's): queued at once, committed with the
        next batch; the estimate stays reserved until then (a failed write is logged)."""
        self._enqueue(_Write(*self._settlement(reservation, attempts, strategy, model_info), None))

    def _settlement(
        self,
        reservation: Reservation,
        attempts: Sequence[AttemptLike],
        strategy: str | None,
        model_info: Mapping[str, Any] | None,
    ) -> tuple[list[Row], list[Delta]]:
        self._close(reservation)
        rows = [self._row(attempt, strategy, reservation.key_id, model_info) for attempt in attempts]
        tokens = sum(row.total_tokens for row in rows)
        usd = math.fsum(row.cost_usd for row in rows)
        deltas = [
            (-claim.amount, tokens if claim.unit == "tokens" else usd, claim.scope_id, claim.period)
            for claim in reservation.claims
        ]
        return rows, deltas

    async def release(self, reservation: Reservation) -> None:
        """Give a request's estimate back (nothing was used)."""
        self._close(reservation)
        await self._write_and_wait((), _given_back(reservation.claims))

    async def budget_usage(self, budget: Budget) -> tuple[float, float]:
        """A period budget's (used, reserved) in the current period."""
        if budget.per == "query":
            raise ValueError("a per-query budget counts nothing")
        await self.flush()
        return await self._store.counter(budget.scope_id, period_of(budget.per, self._clock())[0])

    # -- reading ---------------------------------------------------------------------------

    async def cost_report(
        self,
        since: When = None,
        until: When = None,
        group_by: Iterable[str] = ("provider",),
    ) -> CostReport:
        """Totals of the attempts started in [since, until) (timestamps, dates, datetimes or
        ISO strings; a date as ``until`` includes that day), by strategy, provider, deployment,
        model, key id and UTC day, and rows for the ``group_by`` combination."""
        names = check_group_by(group_by)
        start, end = to_timestamp(since), to_timestamp(until, end=True)
        await self.flush()
        grouped = await self._store.sums(-math.inf if start is None else start, math.inf if end is None else end)
        return build_report(grouped, names, start, end)

    async def deployment_stats(self, name: str) -> DeploymentStats:
        """Everything the ledger holds for one deployment."""
        await self.flush()
        stats = await self._store.stats(name)
        return DeploymentStats(
            request_count=stats.requests,
            total_tokens=stats.tokens,
            cost_usd=stats.cost,
            error_rate=stats.errors / stats.requests if stats.requests else 0.0,
            p50_latency_s=sum(stats.middle) / len(stats.middle) if stats.middle else None,
        )

    async def aclose(self) -> None:
        """Write what is queued, stop the writer, close the database (once)."""
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:
            await self.flush()
            self._writer.cancel()
            try:
                await self._writer
            except asyncio.CancelledError:
                pass
            self._writer = None
        await self._store.aclose()

    async def __aenter__(self) -> Ledger:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

