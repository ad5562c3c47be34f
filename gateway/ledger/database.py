"""A database and the sets of tables kept in it (ours).

A database is what costs connections and threads: a SQLite file (``SqliteFile``: one
connection used by one worker thread) or a PostgreSQL server (``PostgresDatabase``: one asyncpg
pool). A set of tables (``SqliteTables``, ``PostgresTables``) is a store's part of it: its
migrations under its own version table (and, on PostgreSQL, its own advisory lock). The ledger's
store, the LLM manager's conversations and its response cache are sets of tables; the manager
opens its database once (``url.open_database``) and builds the three on it. A set of tables
given a path or a URL instead opens a database of its own, and closes it with ``aclose``: who
opens a database closes it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar, Union
from urllib.parse import urlsplit, urlunsplit

T = TypeVar("T")

POOL_MIN = 1
POOL_MAX = 8


def redact(url: str) -> str:
    """The URL without its password (in the user info, or a ``password`` query field)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unreadable URL>"
    redacted = parts
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if at and ":" in userinfo:
        redacted = redacted._replace(netloc=f"{userinfo.partition(':')[0]}:***@{hostport}")
    fields = parts.query.split("&") if parts.query else []
    if any(field.partition("=")[0].lower() == "password" for field in fields):  # libpq's and asyncpg's
        redacted = redacted._replace(query="&".join(
            "password=***" if field.partition("=")[0].lower() == "password" else field for field in fields
        ))
    return url if redacted is parts else urlunsplit(redacted)


# --- SQLite -----------------------------------------------------------------------------------


class SqliteFile:
    """One SQLite file in WAL mode and one connection used by one worker thread (named
    ``<what>-sqlite``): every call of every set of tables in the file runs there, one at a time.
    ``what`` names the database's user in errors."""

    def __init__(self, path: Path, *, what: str = "ledger", url: str | None = None) -> None:
        """Open (creating it and its directory if needed) at once: a file that cannot be opened
        is an error here, not at the first request."""
        self.path = path
        self.url = f"sqlite:///{path}" if url is None else url
        self._what = what
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise ValueError(f"cannot open the SQLite {what} at {path}: {exc}") from exc
        try:
            self.con.execute("PRAGMA busy_timeout = 10000")
            self.con.execute("PRAGMA journal_mode = WAL")
            self.con.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            self.con.close()
            raise ValueError(f"cannot open the SQLite {what} at {path}: {exc}") from exc
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=f"{what.replace(' ', '-')}-sqlite")
        self._closed = False

    def migrate(self, migrations: Sequence[Sequence[str]], version_table: str, what: str) -> None:
        """Bring one set of tables to ``len(migrations)`` in one transaction, on the worker
        thread (so never inside another set's transaction), waiting for it."""
        self._check_open()
        try:
            self._thread.submit(self.transaction, _migrate(migrations, version_table, what)).result()
        except sqlite3.Error as exc:
            raise ValueError(f"cannot open the SQLite {what} at {self.path}: {exc}") from exc

    async def run(self, call: Callable[..., T], *args: Any) -> T:
        """``call(*args)`` on the worker thread."""
        self._check_open()
        return await asyncio.get_running_loop().run_in_executor(self._thread, call, *args)

    def _check_open(self) -> None:
        if self._closed:
            raise ConnectionError(f"the SQLite {self._what} at {self.path} is closed")

    def transaction(self, body: Callable[[sqlite3.Connection], T]) -> T:
        """``body(connection)`` in one write transaction (call it on the worker thread)."""
        return in_transaction(self.con, body)

    def close_unused(self) -> None:
        """Close at once, from any thread, a database no coroutine uses (a constructor that failed)."""
        if not self._closed:
            self._closed = True
            self._thread.shutdown()
            self.con.close()

    async def aclose(self) -> None:
        """Close the connection on its thread and stop the thread (once)."""
        if self._closed:
            return
        try:
            await self.run(self.con.close)
        finally:
            self._closed = True
            self._thread.shutdown()


def in_transaction(con: sqlite3.Connection, body: Callable[[sqlite3.Connection], T]) -> T:
    """``body(con)`` between ``BEGIN IMMEDIATE`` and ``COMMIT``; on any failure (a failed
    ``COMMIT`` too) rolled back if SQLite has not done so already, and the failure raised, so
    the connection is never left inside a transaction."""
    con.execute("BEGIN IMMEDIATE")
    try:
        result = body(con)
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    return result


def _migrate(migrations: Sequence[Sequence[str]], version_table: str, what: str) -> Callable[[sqlite3.Connection], None]:
    def body(con: sqlite3.Connection) -> None:
        con.execute(f"CREATE TABLE IF NOT EXISTS {version_table} (version INTEGER NOT NULL)")
        row = con.execute(f"SELECT version FROM {version_table}").fetchone()
        version = row[0] if row else 0
        if row is None:
            con.execute(f"INSERT INTO {version_table} VALUES (0)")
        if version > len(migrations):
            raise ValueError(f"the {what}'s schema is version {version}, newer than this code knows")
        for statements in migrations[version:]:
            for statement in statements:
                con.execute(statement)
        con.execute(f"UPDATE {version_table} SET version = ?", (len(migrations),))

    return body


class SqliteTables:
    """A set of tables in a SQLite file, migrated at once under ``version_table``: in the shared
    ``database``, or in a file of their own when given its path (closed by ``aclose``)."""

    def __init__(
        self,
        database: SqliteFile | Path,
        migrations: Sequence[Sequence[str]],
        *,
        version_table: str = "schema_version",
        what: str = "ledger",
    ) -> None:
        owned: SqliteFile | None = None
        if isinstance(database, SqliteFile):
            self.database = database
        else:
            self.database = owned = SqliteFile(database, what=what)
        try:
            self.database.migrate(migrations, version_table, what)
        except BaseException:
            if owned is not None:
                owned.close_unused()
            raise
        self._owned = owned
        self._con = self.database.con
        self._run = self.database.run
        self._transaction = self.database.transaction

    async def aclose(self) -> None:
        """Close the file if these tables opened it (a shared one is its opener's to close)."""
        if self._owned is not None:
            await self._owned.aclose()


# --- PostgreSQL -------------------------------------------------------------------------------


class PostgresDatabase:
    """A PostgreSQL database on one asyncpg pool (``POOL_MIN`` to ``POOL_MAX`` connections),
    opened on first use, in the event loop that uses it. ``what`` names its user in errors."""

    def __init__(self, url: str, *, what: str = "ledger") -> None:
        """Check that asyncpg is installed."""
        try:
            import asyncpg
        except ImportError as exc:
            raise ValueError(
                f"a postgresql:// {what} needs asyncpg: pip install 'provider-port[postgres]'"
            ) from exc
        self._asyncpg = asyncpg
        self.url = url
        self._what = what
        self._pool: Any = None
        self._opening: asyncio.Lock | None = None
        self._closed = False

    async def pool(self) -> Any:
        """The pool, opened on the first call."""
        if self._pool is not None:
            return self._pool
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._closed:
                raise ConnectionError(f"the PostgreSQL {self._what} at {redact(self.url)} is closed")
            if self._pool is None:
                try:
                    pool = await self._asyncpg.create_pool(self.url, min_size=POOL_MIN, max_size=POOL_MAX)
                except (OSError, self._asyncpg.PostgresError) as exc:
                    raise ConnectionError(
                        f"cannot open the PostgreSQL {self._what} at {redact(self.url)}: {exc}"
                    ) from exc
                if self._closed:  # closed while it opened
                    await pool.close()
                    raise ConnectionError(f"the PostgreSQL {self._what} at {redact(self.url)} is closed")
                self._pool = pool
        return self._pool

    def close_unused(self) -> None:
        """Mark closed a database no coroutine uses (its pool is not open before the first use)."""
        self._closed = True

    async def aclose(self) -> None:
        """Close the pool (once)."""
        self._closed = True
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()


class PostgresTables:
    """A set of tables in a PostgreSQL database, migrated under ``version_table`` and the
    advisory lock ``lock`` on first use (instances starting together migrate once): in the
    shared ``database``, or in a pool of their own when given a URL (closed by ``aclose``)."""

    def __init__(
        self,
        database: PostgresDatabase | str,
        migrations: Sequence[Sequence[str]],
        *,
        version_table: str,
        lock: int,
        what: str,
    ) -> None:
        self._owned: PostgresDatabase | None = None
        if isinstance(database, PostgresDatabase):
            self.database = database
        else:
            self.database = self._owned = PostgresDatabase(database, what=what)
        self.url = self.database.url
        self._migrations = migrations
        self._version_table = version_table
        self._lock = lock
        self._what = what
        self._migrated = False
        self._migrating: asyncio.Lock | None = None

    async def _connected(self) -> Any:
        """The database's pool, these tables migrated."""
        pool = await self.database.pool()
        if not self._migrated:
            if self._migrating is None:
                self._migrating = asyncio.Lock()
            async with self._migrating:
                if not self._migrated:
                    async with pool.acquire() as con:
                        await self._migrate(con)
                    self._migrated = True
        return pool

    async def _migrate(self, con: Any) -> None:
        table, migrations = self._version_table, self._migrations
        async with con.transaction():
            await con.execute("SELECT pg_advisory_xact_lock($1)", self._lock)
            await con.execute(f"CREATE TABLE IF NOT EXISTS {table} (version INTEGER NOT NULL)")
            version = await con.fetchval(f"SELECT version FROM {table}")
            if version is None:
                version = 0
                await con.execute(f"INSERT INTO {table} VALUES (0)")
            if version > len(migrations):
                raise ValueError(f"the {self._what}'s schema is version {version}, newer than this code knows")
            for statements in migrations[version:]:
                for statement in statements:
                    await con.execute(statement)
            await con.execute(f"UPDATE {table} SET version = $1", len(migrations))

    async def aclose(self) -> None:
        """Close the pool if these tables opened it (a shared one is its opener's to close)."""
        if self._owned is not None:
            await self._owned.aclose()


Database = Union[SqliteFile, PostgresDatabase]
