"""The PostgreSQL store (ours), on asyncpg: many gateway instances, one ledger.

The schema and semantics are SQLite's (``store_sqlite``). A lease is one transaction that locks
each budget counter row it needs (an upsert that creates the row or locks its latest version)
and adds the grant to ``reserved`` only while ``used + reserved + need <= limit`` holds there, so
the budget holds across connections and processes. The schema is created and migrated under an advisory lock, so
instances starting together migrate once. The pool is ``database.PostgresDatabase``'s, shared
with the LLM manager's conversations and cache when the manager opened it.
"""

from __future__ import annotations

from collections.abc import Sequence

from .database import PostgresDatabase, PostgresTables
from .rows import COLUMNS, Row
from .store import GROUP_COLUMNS, Delta, Grouped, LeaseRefused, Stats, Want, lease_grant, median_window

MIGRATION_LOCK = 0x6C656467  # pg_advisory_xact_lock key: "ledg"

# version n is reached by running MIGRATIONS[n - 1]
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE attempts (
            id BIGSERIAL PRIMARY KEY,
            ts DOUBLE PRECISION NOT NULL,
            day TEXT NOT NULL,
            deployment TEXT NOT NULL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            strategy TEXT,
            key_id TEXT,
            input_tokens BIGINT NOT NULL,
            output_tokens BIGINT NOT NULL,
            cache_read_tokens BIGINT NOT NULL,
            cache_write_tokens BIGINT NOT NULL,
            total_tokens BIGINT NOT NULL,
            cost_usd DOUBLE PRECISION NOT NULL,
            latency_s DOUBLE PRECISION,
            ttfc_s DOUBLE PRECISION,
            outcome TEXT NOT NULL,
            error_class TEXT,
            status INTEGER
        )""",
        "CREATE INDEX attempts_ts ON attempts (ts)",
        "CREATE INDEX attempts_deployment ON attempts (deployment, latency_s)",
        """CREATE TABLE budget_usage (
            scope TEXT NOT NULL,
            period TEXT NOT NULL,
            used DOUBLE PRECISION NOT NULL,
            reserved DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (scope, period)
        )""",
    ),
)

_INSERT = f"INSERT INTO attempts ({', '.join(COLUMNS)}) VALUES ({', '.join(f'${i + 1}' for i in range(len(COLUMNS)))})"
_HELD = """INSERT INTO budget_usage (scope, period, used, reserved) VALUES ($1, $2, 0, 0)
    ON CONFLICT (scope, period) DO UPDATE SET reserved = budget_usage.reserved
    RETURNING used + reserved"""
_LEASE = "UPDATE budget_usage SET reserved = reserved + $3 WHERE scope = $1 AND period = $2"
_APPLY = "UPDATE budget_usage SET reserved = reserved + $1, used = used + $2 WHERE scope = $3 AND period = $4"
_SUMS = f"""SELECT {', '.join(f"COALESCE({c}, '-')" for c in GROUP_COLUMNS)}, COUNT(*),
    SUM(input_tokens)::bigint, SUM(output_tokens)::bigint, SUM(cache_read_tokens)::bigint,
    SUM(cache_write_tokens)::bigint, SUM(total_tokens)::bigint, SUM(cost_usd),
    SUM(CASE WHEN outcome = 'ok' THEN 0 ELSE 1 END)::bigint
    FROM attempts WHERE ts >= $1 AND ts < $2 GROUP BY {', '.join(GROUP_COLUMNS)}"""


class PostgresStore(PostgresTables):
    """The ledger's tables in a PostgreSQL database (shared, or its own pool when given a URL)."""

    def __init__(self, database: PostgresDatabase | str) -> None:
        super().__init__(database, MIGRATIONS, version_table="schema_version", lock=MIGRATION_LOCK, what="ledger")

    def lease_now(self, wants: Sequence[Want]) -> list[float] | None:
        return None  # every statement is a round trip to the server

    async def lease(self, wants: Sequence[Want]) -> list[float]:
        pool = await self._connected()
        grants = []
        async with pool.acquire() as con, con.transaction():
            for index, (scope_id, period, limit, need, step) in enumerate(wants):
                held = await con.fetchval(_HELD, scope_id, period)
                grant = lease_grant(limit, held, need, step)
                if grant is None:
                    raise LeaseRefused(index, held)
                await con.execute(_LEASE, scope_id, period, grant)
                grants.append(grant)
        return grants

    def write_now(self, rows: Sequence[Row], deltas: Sequence[Delta]) -> bool:
        return False

    async def write(self, rows: Sequence[Row], deltas: Sequence[Delta]) -> None:
        pool = await self._connected()
        async with pool.acquire() as con, con.transaction():
            if rows:
                await con.executemany(_INSERT, rows)
            if deltas:
                await con.executemany(_APPLY, deltas)

    async def sums(self, since: float, until: float) -> list[Grouped]:
        pool = await self._connected()
        return list(await pool.fetch(_SUMS, since, until))

    async def counter(self, scope_id: str, period: str) -> tuple[float, float]:
        pool = await self._connected()
        row = await pool.fetchrow(
            "SELECT used, reserved FROM budget_usage WHERE scope = $1 AND period = $2", scope_id, period
        )
        return (row[0], row[1]) if row else (0.0, 0.0)

    async def stats(self, deployment: str) -> Stats:
        pool = await self._connected()
        async with pool.acquire() as con:
            count, tokens, cost, errors = await con.fetchrow(
                """SELECT COUNT(*), COALESCE(SUM(total_tokens), 0)::bigint, COALESCE(SUM(cost_usd), 0),
                COALESCE(SUM(CASE WHEN outcome = 'ok' THEN 0 ELSE 1 END), 0)::bigint
                FROM attempts WHERE deployment = $1""",
                deployment,
            )
            timed = await con.fetchval(
                "SELECT COUNT(*) FROM attempts WHERE deployment = $1 AND latency_s IS NOT NULL", deployment
            )
            limit, offset = median_window(timed)
            middle = await con.fetch(
                """SELECT latency_s FROM attempts WHERE deployment = $1 AND latency_s IS NOT NULL
                ORDER BY latency_s LIMIT $2 OFFSET $3""",
                deployment,
                limit,
                offset,
            )
        return Stats(count, tokens, cost, errors, [latency for (latency,) in middle])
