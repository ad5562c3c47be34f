"""The LLM manager's response cache (ours): exact match on the provider, its model, the system
prompt, the messages sent, the sampling options and the tools offered; entries live
``cache_ttl_seconds`` in memory (``cachetools.TTLCache``) and, optionally, in a
``response_cache`` table of the manager's database (shared with the ledger and the
conversations, under its own version table), so that a restarted process, or another one
sharing the database, hits too.

An entry is a whole turn as the caller saw it: the stream's chunks (so a streamed hit replays the
same deltas) and the final response. Only turns that made no function call are stored: a turn
that ran tools depends on what the tools returned, which the key does not cover.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from cachetools import TTLCache

from ..ledger.database import Database, PostgresDatabase, PostgresTables, SqliteFile, SqliteTables
from ..ledger.url import open_tables

DEFAULT_MAX_ENTRIES = 10_000
"""Entries kept in memory at most (the least recently used go first)."""

WHAT = "response cache"
VERSION_TABLE = "response_cache_schema_version"
MIGRATION_LOCK = 0x63616368  # pg_advisory_xact_lock key: "cach"


@dataclass(frozen=True)
class CachedTurn:
    chunks: tuple[Any, ...]  # the stream's chunks, the final "done" chunk excluded
    response: Any  # the LLMResponse


def cache_key(
    provider: str,
    model: str,
    system_prompt: str,
    messages: Sequence[Mapping[str, Any]],
    temperature: float | None,
    max_tokens: int | None,
    tools: Sequence[Mapping[str, Any]],
) -> str:
    """A digest of everything that decides the model's answer (canonical JSON: sorted keys)."""
    payload = json.dumps(
        [provider, model, system_prompt, list(messages), temperature, max_tokens, list(tools)],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


# --- the database table -----------------------------------------------------------------------


def _migrations(real: str) -> tuple[tuple[str, ...], ...]:
    return (
        (
            f"CREATE TABLE response_cache (key TEXT PRIMARY KEY, entry TEXT NOT NULL, expires_at {real} NOT NULL)",
            "CREATE INDEX response_cache_expires ON response_cache (expires_at)",
        ),
    )


class SqliteCacheTable(SqliteTables):
    def __init__(self, database: SqliteFile | Path) -> None:
        super().__init__(database, _migrations("REAL"), version_table=VERSION_TABLE, what=WHAT)

    async def get(self, key: str, now: float) -> tuple[str, float] | None:
        def read() -> tuple[str, float] | None:
            row = self._con.execute(
                "SELECT entry, expires_at FROM response_cache WHERE key = ? AND expires_at > ?", (key, now)
            ).fetchone()
            return None if row is None else (str(row[0]), float(row[1]))

        return await self._run(read)

    async def put(self, key: str, entry: str, expires_at: float, now: float) -> None:
        def body(con: sqlite3.Connection) -> None:
            con.execute("DELETE FROM response_cache WHERE expires_at <= ?", (now,))
            con.execute("INSERT OR REPLACE INTO response_cache (key, entry, expires_at) VALUES (?, ?, ?)",
                        (key, entry, expires_at))

        await self._run(self._transaction, body)


class PostgresCacheTable(PostgresTables):
    def __init__(self, database: PostgresDatabase | str) -> None:
        super().__init__(database, _migrations("DOUBLE PRECISION"), version_table=VERSION_TABLE, lock=MIGRATION_LOCK,
                         what=WHAT)

    async def get(self, key: str, now: float) -> tuple[str, float] | None:
        pool = await self._connected()
        row = await pool.fetchrow(
            "SELECT entry, expires_at FROM response_cache WHERE key = $1 AND expires_at > $2", key, now
        )
        return None if row is None else (str(row[0]), float(row[1]))

    async def put(self, key: str, entry: str, expires_at: float, now: float) -> None:
        pool = await self._connected()
        async with pool.acquire() as con, con.transaction():
            await con.execute("DELETE FROM response_cache WHERE expires_at <= $1", now)
            await con.execute(
                """INSERT INTO response_cache (key, entry, expires_at) VALUES ($1, $2, $3)
                ON CONFLICT (key) DO UPDATE SET entry = EXCLUDED.entry, expires_at = EXCLUDED.expires_at""",
                key, entry, expires_at,
            )


CacheTable = Union[SqliteCacheTable, PostgresCacheTable]


def open_cache_table(url: str | Database) -> CacheTable:
    """The ``response_cache`` table in a shared database, or in the database a ledger URL names
    (the table's own, closed with it: ``gateway.ledger.url.open_tables``)."""
    return open_tables(url, SqliteCacheTable, PostgresCacheTable, WHAT)


# --- the cache --------------------------------------------------------------------------------


class ResponseCache:
    """``get`` / ``put`` by ``cache_key``: memory first, then the database table when one is
    given (``table``, with ``encode`` / ``decode`` turning a ``CachedTurn`` into JSON text and
    back); a database hit is kept in memory until the row expires. ``hits`` and ``misses``
    counted; ``clock`` is ``time.time`` (wall-clock: the table's expiry is shared)."""

    def __init__(
        self,
        ttl_seconds: float,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        *,
        table: CacheTable | None = None,
        encode: Callable[[CachedTurn], str] | None = None,
        decode: Callable[[str], CachedTurn] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if table is not None and (encode is None or decode is None):
            raise ValueError("a cache table needs encode and decode")
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._entries: TTLCache[str, tuple[float, CachedTurn]] = TTLCache(maxsize=max_entries, ttl=ttl_seconds, timer=clock)
        self._table = table
        self._encode = encode
        self._decode = decode
        self.hits = 0
        self.misses = 0

    async def get(self, key: str) -> CachedTurn | None:
        now = self._clock()
        found = self._entries.get(key)
        if found is not None and found[0] > now:
            self.hits += 1
            return found[1]
        if self._table is not None and self._decode is not None:
            row = await self._table.get(key, now)
            if row is not None:
                self.hits += 1
                entry, expires_at = row
                turn = self._decode(entry)
                self._entries[key] = (expires_at, turn)
                return turn
        self.misses += 1
        return None

    async def put(self, key: str, turn: CachedTurn) -> None:
        now = self._clock()
        expires_at = now + self.ttl_seconds
        self._entries[key] = (expires_at, turn)
        if self._table is not None and self._encode is not None:
            await self._table.put(key, self._encode(turn), expires_at, now)

    def clear(self) -> None:
        """Forget what is in memory (the table's rows expire on their own)."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def stats(self) -> dict[str, int]:
        return {"entries": len(self._entries), "hits": self.hits, "misses": self.misses}

    async def aclose(self) -> None:
        if self._table is not None:
            await self._table.aclose()
