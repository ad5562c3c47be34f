"""The usage ledger (ours): one row per attempt, budgets that hold under concurrency, cost
reports, deployment statistics and Prometheus metrics, over a SQLite or PostgreSQL store.

Budgets are kept in memory in front of the store, as leases: a process leases a share of each
period counter from the store (one short transaction that adds it to the counter's ``reserved``
only while ``used + reserved + lease <= limit`` holds there) and serves reservations from it in
process, without a round trip; it leases again when a reservation finds too little, and a
refusal from the store is the ``BudgetExceeded``. A settlement puts what its estimate did not
use back into the lease at once and queues the counter change (``used`` up, ``reserved`` down by
the same amount, so the counter's ``used + reserved`` never waits for the batch); a lease nobody
drew on for ``LEASE_IDLE_S``, the part of a lease past its last grant, and every lease at
``aclose`` go back to the store. In one process every decision is the exact one.

Rows and counter changes go through one writer task per ledger: ``record`` queues the attempt
and returns at once (its row, and its metrics, are built with the batch); ``settle`` queues its
attempts and changes and waits until the batch holding them is committed (group commit), so a
settled request is durable when ``settle`` returns. What nobody waits for (``record``, the
router's ``settle_nowait``) is committed within ``LINGER_S``, together.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import BudgetExceeded
from .budgets import Budget, Counter, Plan, Reservation, period_of
from .metrics import LedgerMetrics
from .report import CostReport, When, build_report, check_group_by, to_timestamp
from .rows import AttemptLike, Row, attempt_tokens, row_from_attempt
from .store import Delta, LeaseRefused, Want
from .database import Database
from .url import database_or_url, open_store

log = logging.getLogger("gateway.ledger")

BATCH_ROWS = 1000  # rows and counter changes per transaction, at most
LINGER_S = 0.05
"""How long the writer lets rows that nobody waits for (``record``, ``settle_nowait``) gather
before it commits them, unless a ``settle`` or ``flush`` comes (one transaction for the requests
of those milliseconds: the commit, not the row, is most of what writing a row costs)."""
LEASE_IDLE_S = 1.0
"""A lease no reservation drew on for this long goes back to the store (so that the other
processes sharing the budget can have it)."""
PLANS = 4096
"""Budget plans kept (one per budget list, deployment and key id); all dropped when full."""


@dataclass
class DeploymentStats:
    request_count: int
    total_tokens: int
    cost_usd: float
    error_rate: float
    p50_latency_s: float | None


# an attempt whose row is built with its batch: the attempt, strategy, key id, model info
_Queued = tuple[AttemptLike, str | None, str | None, Mapping[str, Any] | None]


@dataclass
class _Write:
    """Rows (``attempts`` become rows, and metrics, when the batch is built) and counter
    changes that commit together; ``done`` when somebody waits for that."""

    rows: list[Row]
    attempts: Sequence[_Queued]
    deltas: Sequence[Delta]
    done: asyncio.Future[None] | None


def _resolve(signal: asyncio.Future[None]) -> None:
    if not signal.done():
        signal.set_result(None)


class Ledger:
    """``Ledger()`` opens the default SQLite file, ``Ledger(url)`` the database a URL names
    (``sqlite:////abs.db``, ``sqlite:///rel.db``, ``postgresql://...``), ``Ledger(database=d)``
    its tables in a database others share (``url.open_database``; its opener closes it);
    ``clock`` (seconds, like ``time.time``) decides budget periods. A ledger serves the event
    loop that first uses it."""

    def __init__(
        self, url: str | None = None, *, clock: Callable[[], float] = time.time, database: Database | None = None
    ) -> None:
        self.url, source = database_or_url("Ledger", url, database)
        self._store = open_store(source)
        self._clock = clock
        self.metrics = LedgerMetrics()
        self._pending: deque[_Write] = deque()
        self._signal: asyncio.Future[None] | None = None  # what the writer waits for
        self._lingering = False  # the writer lets the queue gather (only an urgent write wakes it)
        self._urgent = False  # a queued write is waited for
        self._writer: asyncio.Task[None] | None = None
        self._closed = False
        self._plans: dict[Any, Plan] = {}
        self._counters: dict[tuple[str, str, float], Counter] = {}
        self._leasing: asyncio.Lock | None = None  # held by a lease or give-back that waits
        self._idle: asyncio.TimerHandle | None = None
        self._giving_back: set[asyncio.Task[None]] = set()
        self._thread: int | None = None  # the event loop's, once the writer runs
        self.metrics.before_collect = self._build_queued

    # -- writing ---------------------------------------------------------------------------

    def _enqueue(self, write: _Write) -> None:
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write_loop(), name="ledger-writer")
            self._thread = threading.get_ident()
        self._pending.append(write)
        if write.done is not None:
            self._urgent = True
        signal = self._signal
        if signal is not None and not signal.done() and (
            self._urgent or not self._lingering or len(self._pending) >= BATCH_ROWS
        ):
            signal.set_result(None)

    async def _write_loop(self) -> None:
        """Wait for a write; let writes nobody waits for gather for ``LINGER_S`` (unless one
        that somebody waits for comes); commit all that is queued, in batches."""
        loop = asyncio.get_running_loop()
        while True:
            if not self._pending:
                self._lingering = self._urgent = False
                self._signal = loop.create_future()
                await self._signal
            if not self._urgent and len(self._pending) < BATCH_ROWS:
                self._lingering = True
                self._signal = signal = loop.create_future()
                timer = loop.call_later(LINGER_S, _resolve, signal)
                try:
                    await signal
                finally:
                    timer.cancel()
            while self._pending:
                batch: list[_Write] = []
                size = 0
                while self._pending and size < BATCH_ROWS:
                    write = self._pending.popleft()
                    batch.append(write)
                    size += len(write.rows) + len(write.attempts) + len(write.deltas)
                await self._commit(batch)

    async def _commit(self, batch: list[_Write]) -> None:
        changes: dict[tuple[str, str], list[float]] = {}
        rows: list[Row] = []
        for write in batch:
            try:
                self._build(write)
            except Exception as exc:  # an attempt that is not one: its write fails alone
                self._failed([write], exc)
                continue
            rows.extend(write.rows)
            for reserved, used, scope_id, period in write.deltas:
                change = changes.setdefault((scope_id, period), [0.0, 0.0])
                change[0] += reserved
                change[1] += used
        try:
            if rows or changes:
                deltas = [(r, u, s, p) for (s, p), (r, u) in changes.items()]
                if not self._store.write_now(rows, deltas):
                    await self._store.write(rows, deltas)
        except Exception as exc:
            self._failed(batch, exc)
            return
        for write in batch:
            if write.done is not None and not write.done.done():
                write.done.set_result(None)

    @staticmethod
    def _failed(writes: list[_Write], exc: Exception) -> None:
        for write in writes:
            if write.done is not None and not write.done.done():
                write.done.set_exception(exc)
        unwaited = sum(len(write.rows) + len(write.attempts) for write in writes if write.done is None)
        if unwaited:
            log.error("ledger: %d recorded attempt(s) not written: %s", unwaited, exc)

    def _build(self, write: _Write) -> None:
        """The write's attempts as rows (each observed by the metrics), once."""
        if write.attempts:
            write.rows.extend([self._row(*attempt) for attempt in write.attempts])
            write.attempts = ()

    def _build_queued(self) -> None:
        """Build the queued writes' rows now (the metrics are about to be read), when called on
        the event loop's thread (a scrape from another thread sees them within ``LINGER_S``)."""
        if threading.get_ident() == self._thread:
            for write in self._pending:
                try:
                    self._build(write)
                except Exception:  # the writer reports it
                    pass

    async def _write_and_wait(self, rows: list[Row], deltas: Sequence[Delta], attempts: Sequence[_Queued] = ()) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._enqueue(_Write(rows, attempts, deltas, done))
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
        """Queue one attempt and return at once; its row is built and written off the request
        path, with a batch (an object that is no attempt is logged then). ``model_info`` (the
        handler's ``get_model()["info"]``) prices it when the attempt's usage has no
        ``total_cost``."""
        self._enqueue(_Write([], ((attempt, strategy, key_id, model_info),), (), None))

    async def flush(self) -> None:
        """Wait until every row queued so far is written."""
        await self._write_and_wait([], ())

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
        usd = float(usd_estimate)
        plan = self._plan(budgets, deployment, key_id)
        for limit, unit, scope in plan.queries:
            amount = tokens_estimate if unit == "tokens" else usd
            if amount > limit:
                self.metrics.refused(scope, unit)
                raise BudgetExceeded(scope, limit, amount, None, unit)
        now = self._clock()
        counters = plan.counters if plan.since <= now < plan.until else plan.refresh(now, self._counters)
        if counters and not self._take(counters, tokens_estimate, usd):
            try:
                await self._lease(counters, tokens_estimate, usd)
            except BudgetExceeded as exc:
                self.metrics.refused(exc.scope, exc.unit)
                raise
        return Reservation(deployment, key_id, tokens_estimate, usd, counters)

    def budget_units(self, budgets: Iterable[Budget], deployment: str, key_id: str | None = None) -> frozenset[str]:
        """The units (``tokens``, ``usd``) of the budgets that apply to a request on
        ``deployment`` for ``key_id``: what its estimate needs (nothing to reserve when empty)."""
        return self._plan(budgets, deployment, key_id).units

    def _plan(self, budgets: Iterable[Budget], deployment: str, key_id: str | None) -> Plan:
        """The plan of these budgets for this deployment and key id, made once (a tuple is
        known by identity: the plan keeps it)."""
        if isinstance(budgets, tuple):
            key: Any = (id(budgets), deployment, key_id)
            plan = self._plans.get(key)
            if plan is not None and plan.budgets is budgets:
                return plan
            frozen = budgets
        else:
            frozen = tuple(budgets)
            key = (frozen, deployment, key_id)
            plan = self._plans.get(key)
            if plan is not None:
                return plan
        if len(self._plans) >= PLANS:
            self._plans.clear()
        plan = self._plans[key] = Plan(frozen, deployment, key_id)
        return plan

    @staticmethod
    def _take(counters: Sequence[Counter], tokens: int, usd: float) -> bool:
        """The estimate from each counter's lease, all or none."""
        for counter in counters:
            if counter.spare < (tokens if counter.tokens else usd):
                return False
        for counter in counters:
            counter.spare -= tokens if counter.tokens else usd
            counter.uses += 1
        return True

    @staticmethod
    def _wants(counters: Sequence[Counter], tokens: int, usd: float) -> list[tuple[Counter, float, float]]:
        """The counters whose lease lacks the estimate: (counter, what it lacks, estimate)."""
        wants = []
        for counter in counters:
            amount = tokens if counter.tokens else usd
            if counter.spare < amount:
                wants.append((counter, amount - counter.spare, amount))
        return wants

    async def _lease(self, counters: Sequence[Counter], tokens: int, usd: float) -> None:
        """Lease what the counters lack from the store, then take the estimate. The store
        leases at once when it can (``lease_now``), else this waits for it, one lease at a time;
        a lease whose caller was cancelled still joins its counter's spare."""
        while not self._take(counters, tokens, usd):
            wants = self._wants(counters, tokens, usd)
            if self._leasing is None:
                self._leasing = asyncio.Lock()
            if not self._leasing.locked():
                try:
                    grants = self._store.lease_now(self._asked(wants))
                except LeaseRefused as refused:
                    raise self._exceeded(wants, refused) from None
                if grants is not None:
                    self._leased(wants, grants)
                    continue
            async with self._leasing:
                if self._take(counters, tokens, usd):
                    return
                wants = self._wants(counters, tokens, usd)
                leasing = asyncio.ensure_future(self._store.lease(self._asked(wants)))

                def credit(done: asyncio.Future[list[float]], wants: list[tuple[Counter, float, float]] = wants) -> None:
                    if not done.cancelled() and done.exception() is None:
                        self._leased(wants, done.result())

                leasing.add_done_callback(credit)
                try:
                    await asyncio.shield(leasing)
                except LeaseRefused as refused:
                    raise self._exceeded(wants, refused) from None

    @staticmethod
    def _asked(wants: list[tuple[Counter, float, float]]) -> list[Want]:
        return [(c.scope_id, c.period, c.limit, need, step) for c, need, step in wants]

    def _leased(self, wants: list[tuple[Counter, float, float]], grants: list[float]) -> None:
        for (counter, _, _), grant in zip(wants, grants):
            counter.spare += grant
            counter.cap = grant
        self._watch_idle()

    def _exceeded(self, wants: list[tuple[Counter, float, float]], refused: LeaseRefused) -> BudgetExceeded:
        """The store's refusal as the budget's: what the counter holds but this process's spare."""
        counter = wants[refused.index][0]
        return counter.exceeded(refused.held - self._spare_on(counter.scope_id, counter.period))

    def _spare_on(self, scope_id: str, period: str) -> float:
        return math.fsum(c.spare for c in self._counters.values() if c.scope_id == scope_id and c.period == period)

    def _watch_idle(self) -> None:
        if self._idle is None and not self._closed:
            self._idle = asyncio.get_running_loop().call_later(LEASE_IDLE_S, self._idle_check)

    def _idle_check(self) -> None:
        """Every ``LEASE_IDLE_S`` while a lease is held: give back the leases no reservation
        drew on since the last look, and what a lease gathered past its last grant (estimates
        returned by settlements); forget the empty counters of periods that ended."""
        self._idle = None
        now = self._clock()
        back: list[Counter] = []
        held = False
        for key, counter in list(self._counters.items()):
            if counter.uses != counter.seen:
                counter.seen = counter.uses
                held = held or counter.spare != 0
                if counter.spare > counter.cap:
                    back.append(counter)
            elif counter.spare:
                back.append(counter)
            elif counter.resets_at <= now:
                del self._counters[key]
        if back:
            task = asyncio.get_running_loop().create_task(self._give_back(back))
            self._giving_back.add(task)
            task.add_done_callback(self._giving_back.discard)
        if back or held:
            self._watch_idle()

    async def _give_back(self, counters: list[Counter] | None) -> None:
        """Return to the store the whole lease of those ``counters`` still idle and the part
        past the last grant of the others (every whole lease when None, at ``aclose``); a
        negative lease (use past the estimates) is added to the counter. Leases wait meanwhile,
        so that none reads the counter before the change is committed."""
        if self._leasing is None:
            self._leasing = asyncio.Lock()
        async with self._leasing:
            deltas = []
            for counter in list(self._counters.values()) if counters is None else counters:
                idle = counters is None or counter.uses == counter.seen
                amount = counter.spare if idle else max(0.0, counter.spare - counter.cap)
                if amount:
                    deltas.append((-amount, 0.0, counter.scope_id, counter.period))
                    counter.spare -= amount
            if deltas:
                try:
                    await self._write_and_wait([], deltas)
                except Exception as exc:  # the store keeps it reserved: never more than the budget
                    log.error("ledger: leases not given back: %s", exc)

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
        rows, queued, deltas = self._settlement(reservation, attempts, strategy, model_info)
        await self._write_and_wait(rows, deltas, queued)

    def settle_nowait(
        self,
        reservation: Reservation,
        *attempts: AttemptLike,
        strategy: str | None = None,
        model_info: Mapping[str, Any] | None = None,
    ) -> None:
        """``settle`` off the request path (the router's): the budgets see it at once, the rows
        and counter changes are committed with the next batch (a failed write is logged)."""
        rows, queued, deltas = self._settlement(reservation, attempts, strategy, model_info)
        self._enqueue(_Write(rows, queued, deltas, None))

    def _settlement(
        self,
        reservation: Reservation,
        attempts: Sequence[AttemptLike],
        strategy: str | None,
        model_info: Mapping[str, Any] | None,
    ) -> tuple[list[Row], list[_Queued], list[Delta]]:
        """The rows (built now when a USD budget needs their cost, else queued to be built
        with the batch), and each counter's change: what was used moves from ``reserved`` to
        ``used`` (``used + reserved`` unchanged) and the rest of the estimate back into the
        lease; a use past the estimate is taken from the lease, which may go negative: the next
        lease (or give-back) adds that to the counter."""
        self._close(reservation)
        key_id, counters = reservation.key_id, reservation.counters
        if not counters:
            return [], [(attempt, strategy, key_id, model_info) for attempt in attempts], []
        rows: list[Row] = []
        queued: list[_Queued] = []
        tokens, usd = 0, 0.0
        for counter in counters:
            if not counter.tokens:
                rows = [self._row(attempt, strategy, key_id, model_info) for attempt in attempts]
                tokens = sum([row.total_tokens for row in rows])
                usd = math.fsum([row.cost_usd for row in rows])
                break
        else:
            for attempt in attempts:
                queued.append((attempt, strategy, key_id, model_info))
                tokens += attempt_tokens(attempt)
        deltas: list[Delta] = []
        for counter in counters:
            if counter.tokens:
                counter.spare += reservation.tokens_estimate - tokens
                deltas.append((-tokens, tokens, counter.scope_id, counter.period))
            else:
                counter.spare += reservation.usd_estimate - usd
                deltas.append((-usd, usd, counter.scope_id, counter.period))
        if self._idle is None:
            self._watch_idle()
        return rows, queued, deltas

    async def release(self, reservation: Reservation) -> None:
        """Give a request's estimate back (nothing was used)."""
        self._close(reservation)
        for counter in reservation.counters:
            counter.spare += reservation.tokens_estimate if counter.tokens else reservation.usd_estimate
        if reservation.counters:
            self._watch_idle()

    async def budget_usage(self, budget: Budget) -> tuple[float, float]:
        """A period budget's (used, reserved) in the current period; ``reserved`` is what
        requests in flight hold (and the leases of other processes), not this one's spare."""
        if budget.per == "query":
            raise ValueError("a per-query budget counts nothing")
        await self.flush()
        period = period_of(budget.per, self._clock())[0]
        used, reserved = await self._store.counter(budget.scope_id, period)
        return used, reserved - self._spare_on(budget.scope_id, period)

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
        """Write what is queued, stop the writer, close the store (once): the database too
        when the ledger opened it."""
        if self._closed:
            return
        self._closed = True
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        if any(counter.spare for counter in self._counters.values()):
            await self._give_back(None)
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

