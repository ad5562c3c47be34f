"""The SQLite store (ours): the ledger's tables in one file in WAL mode, whose one connection is
used by one worker thread (``database.SqliteFile``, shared with the LLM manager's
conversations and cache when the manager opened it).

Everything the ledger asks of the store runs on that thread, one call at a time, so the calls
of one process never interleave; ``BEGIN IMMEDIATE`` (with a busy timeout) serialises the
writers of several processes sharing the file. A lease is one short transaction; rows and
counter updates are written in batches, each batch one transaction. WAL with
``synchronous=NORMAL`` keeps every committed transaction across a killed process.

A lease, and a batch of up to ``INLINE_ROWS`` rows, is first tried on the event loop's own
connection, without waiting: when the file is free its transaction (tens of µs) commits at
once, without the thread hand-off (which costs more than the transaction); when it is busy
(another process) it goes to the thread, which waits for it. That connection never checkpoints
the WAL: every ``CHECKPOINT_EVERY``-th batch goes to the thread, whose connection does, so the
loop is never blocked for long. That connection is the store's own, never shared.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from .database import SqliteFile, SqliteTables, in_transaction
from .rows import COLUMNS, Row
from .store import GROUP_COLUMNS, Delta, Grouped, LeaseRefused, Stats, Want, lease_grant, median_window

T = TypeVar("T")

INLINE_ROWS = 64
"""Batches of up to this many rows and counter changes may commit on the loop's connection."""
CHECKPOINT_EVERY = 200
"""Every this many batches, one commits on the thread (whose connection checkpoints the WAL)."""

# version n is reached by running MIGRATIONS[n - 1]
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE attempts (
            id INTEGER PRIMARY KEY,
            ts REAL NOT NULL,
            day TEXT NOT NULL,
            deployment TEXT NOT NULL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            strategy TEXT,
            key_id TEXT,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cache_read_tokens INTEGER NOT NULL,
            cache_write_tokens INTEGER NOT NULL,
            total_tokens INTEGER NOT NULL,
            cost_usd REAL NOT NULL,
            latency_s REAL,
            ttfc_s REAL,
            outcome TEXT NOT NULL,
            error_class TEXT,
            status INTEGER
        )""",
        "CREATE INDEX attempts_ts ON attempts (ts)",
        "CREATE INDEX attempts_deployment ON attempts (deployment, latency_s)",
        """CREATE TABLE budget_usage (
            scope TEXT NOT NULL,
            period TEXT NOT NULL,
            used REAL NOT NULL,
            reserved REAL NOT NULL,
            PRIMARY KEY (scope, period)
        )""",
    ),
)

_INSERT = f"INSERT INTO attempts ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
_HELD = "SELECT used + reserved FROM budget_usage WHERE scope = ? AND period = ?"
_LEASE = """INSERT INTO budget_usage (scope, period, used, reserved) VALUES (?, ?, 0, ?)
    ON CONFLICT (scope, period) DO UPDATE SET reserved = reserved + excluded.reserved"""
_APPLY = "UPDATE budget_usage SET reserved = reserved + ?, used = used + ? WHERE scope = ? AND period = ?"
_SUMS = f"""SELECT {', '.join(f"COALESCE({c}, '-')" for c in GROUP_COLUMNS)}, COUNT(*),
    SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens), SUM(cache_write_tokens),
    SUM(total_tokens), SUM(cost_usd), SUM(CASE WHEN outcome = 'ok' THEN 0 ELSE 1 END)
    FROM attempts WHERE ts >= ? AND ts < ? GROUP BY {', '.join(GROUP_COLUMNS)}"""


class SqliteStore(SqliteTables):
    """The ledger's tables in a SQLite file (shared, or its own when given a path), and the
    loop's connection to the file, the store's own."""

    def __init__(self, database: SqliteFile | Path) -> None:
        super().__init__(database, MIGRATIONS)
        try:
            self._inline = sqlite3.connect(self.database.path, isolation_level=None, check_same_thread=False)
            self._inline.execute("PRAGMA busy_timeout = 0")
            self._inline.execute("PRAGMA synchronous = NORMAL")
            self._inline.execute("PRAGMA wal_autocheckpoint = 0")
        except BaseException:
            if self._owned is not None:
                self._owned.close_unused()
            raise
        self._inline_writes = 0  # batches committed inline since the thread last wrote

    @staticmethod
    def _lease(wants: Sequence[Want]) -> Callable[[sqlite3.Connection], list[float]]:
        def body(con: sqlite3.Connection) -> list[float]:
            grants = []
            for index, (scope_id, period, limit, need, step) in enumerate(wants):
                (held,) = con.execute(_HELD, (scope_id, period)).fetchone() or (0.0,)
                grant = lease_grant(limit, held, need, step)
                if grant is None:
                    raise LeaseRefused(index, held)
                con.execute(_LEASE, (scope_id, period, grant))
                grants.append(grant)
            return grants

        return body

    def lease_now(self, wants: Sequence[Want]) -> list[float] | None:
        return self._try_inline(self._lease(wants))

    async def lease(self, wants: Sequence[Want]) -> list[float]:
        return await self._run(self._transaction, self._lease(wants))

    def _try_inline(self, body: Callable[[sqlite3.Connection], T]) -> T | None:
        """``body`` in a transaction on the loop's connection if the file is free now; None
        (nothing done) when it is busy."""
        try:
            return in_transaction(self._inline, body)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                return None
            raise

    @staticmethod
    def _write(rows: Sequence[Row], deltas: Sequence[Delta]) -> Callable[[sqlite3.Connection], bool]:
        def body(con: sqlite3.Connection) -> bool:
            con.executemany(_INSERT, rows)
            con.executemany(_APPLY, deltas)
            return True

        return body

    def write_now(self, rows: Sequence[Row], deltas: Sequence[Delta]) -> bool:
        if len(rows) + len(deltas) > INLINE_ROWS or self._inline_writes >= CHECKPOINT_EVERY:
            return False
        if self._try_inline(self._write(rows, deltas)) is None:
            return False
        self._inline_writes += 1
        return True

    async def write(self, rows: Sequence[Row], deltas: Sequence[Delta]) -> None:
        await self._run(self._transaction, self._write(rows, deltas))
        self._inline_writes = 0

    async def sums(self, since: float, until: float) -> list[Grouped]:
        return await self._run(lambda: self._con.execute(_SUMS, (since, until)).fetchall())

    async def counter(self, scope_id: str, period: str) -> tuple[float, float]:
        def read() -> tuple[float, float]:
            row = self._con.execute(
                "SELECT used, reserved FROM budget_usage WHERE scope = ? AND period = ?", (scope_id, period)
            ).fetchone()
            return (row[0], row[1]) if row else (0.0, 0.0)

        return await self._run(read)

    async def stats(self, deployment: str) -> Stats:
        def read() -> Stats:
            con = self._con
            count, tokens, cost, errors = con.execute(
                """SELECT COUNT(*), COALESCE(SUM(total_tokens), 0), COALESCE(SUM(cost_usd), 0),
                COALESCE(SUM(CASE WHEN outcome = 'ok' THEN 0 ELSE 1 END), 0)
                FROM attempts WHERE deployment = ?""",
                (deployment,),
            ).fetchone()
            (timed,) = con.execute(
                "SELECT COUNT(*) FROM attempts WHERE deployment = ? AND latency_s IS NOT NULL", (deployment,)
            ).fetchone()
            limit, offset = median_window(timed)
            middle = [
                latency
                for (latency,) in con.execute(
                    """SELECT latency_s FROM attempts WHERE deployment = ? AND latency_s IS NOT NULL
                    ORDER BY latency_s LIMIT ? OFFSET ?""",
                    (deployment, limit, offset),
                )
            ]
            return Stats(count, tokens, cost, errors, middle)

        return await self._run(read)

    async def aclose(self) -> None:
        self._inline.close()
        await super().aclose()
