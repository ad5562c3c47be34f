"""Where the LLM manager's conversations are kept (ours): their own tables in the ledger's
database, SQLite or PostgreSQL (``gateway.ledger.database``: the manager's shared database, or
one of their own), migrated under their own version table (``conversations_schema_version``).

A conversation is one ``conversations`` row (its system prompt, title, metadata as JSON, its
message count, its summary and how many of its oldest messages that summary covers) and one
``conversation_messages`` row per message (the message dict as JSON text, numbered from 0).
Appending bumps the count on the conversation's row and inserts at the old count in one
transaction, so concurrent appends (one process or several) never share a number; a summary is
stored only if nobody stored another since it was started.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Union

from ..ledger.database import Database, PostgresDatabase, PostgresTables, SqliteFile, SqliteTables
from ..ledger.url import open_tables

WHAT = "conversation store"
MIGRATION_LOCK = 0x636F6E76  # pg_advisory_xact_lock key: "conv"
VERSION_TABLE = "conversations_schema_version"

HEADER = "id, title, system_prompt, metadata, created_at, updated_at, message_count, summary, summarized_count"
Header = Sequence[Any]  # HEADER's values
New = tuple[str, str | None, str | None, str, float]  # id, title, system prompt, metadata JSON, now
Appended = tuple[str, str]  # role, message JSON


def _migrations(real: str) -> tuple[tuple[str, ...], ...]:
    # version n is reached by running the n-th tuple
    return (
        (
            f"""CREATE TABLE conversations (
                id TEXT PRIMARY KEY,
                title TEXT,
                system_prompt TEXT,
                metadata TEXT NOT NULL,
                created_at {real} NOT NULL,
                updated_at {real} NOT NULL,
                message_count INTEGER NOT NULL,
                summary TEXT,
                summarized_count INTEGER NOT NULL
            )""",
            "CREATE INDEX conversations_updated ON conversations (updated_at)",
            """CREATE TABLE conversation_messages (
                conversation_id TEXT NOT NULL,
                seq INTEGER NOT NULL,
                role TEXT NOT NULL,
                message TEXT NOT NULL,
                created_at """ + real + """ NOT NULL,
                PRIMARY KEY (conversation_id, seq)
            )""",
        ),
    )


SQLITE_MIGRATIONS = _migrations("REAL")
POSTGRES_MIGRATIONS = _migrations("DOUBLE PRECISION")

_LIST = f"SELECT {HEADER} FROM conversations ORDER BY updated_at DESC, id LIMIT {{}} OFFSET {{}}"
_COUNT = "SELECT COUNT(*) FROM conversations"


class SqliteConversations(SqliteTables):
    def __init__(self, database: SqliteFile | Path) -> None:
        super().__init__(database, SQLITE_MIGRATIONS, version_table=VERSION_TABLE, what=WHAT)

    def _read(self, body: Any) -> Any:
        """``body(con)`` in one read transaction (one snapshot of the file)."""
        con = self._con
        con.execute("BEGIN")
        try:
            return body(con)
        finally:
            con.execute("COMMIT")

    async def create(self, new: New) -> bool:
        def body(con: sqlite3.Connection) -> bool:
            conversation_id, title, system_prompt, metadata, now = new
            try:
                con.execute(
                    f"INSERT INTO conversations ({HEADER}) VALUES (?, ?, ?, ?, ?, ?, 0, NULL, 0)",
                    (conversation_id, title, system_prompt, metadata, now, now),
                )
            except sqlite3.IntegrityError:
                return False
            return True

        return await self._run(self._transaction, body)

    async def append(self, conversation_id: str, messages: Sequence[Appended], now: float) -> bool:
        def body(con: sqlite3.Connection) -> bool:
            row = con.execute(
                "UPDATE conversations SET message_count = message_count + ?, updated_at = ? WHERE id = ? RETURNING message_count",
                (len(messages), now, conversation_id),
            ).fetchone()
            if row is None:
                return False
            first = row[0] - len(messages)
            con.executemany(
                "INSERT INTO conversation_messages (conversation_id, seq, role, message, created_at) VALUES (?, ?, ?, ?, ?)",
                [(conversation_id, first + i, role, message, now) for i, (role, message) in enumerate(messages)],
            )
            return True

        return await self._run(self._transaction, body)

    async def load(self, conversation_id: str, *, unsummarized: bool) -> tuple[Header, list[str]] | None:
        """The header and the messages (all, or those after the summary), or None."""

        def body(con: sqlite3.Connection) -> tuple[Header, list[str]] | None:
            header = con.execute(f"SELECT {HEADER} FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
            if header is None:
                return None
            first = header[8] if unsummarized else 0
            rows = con.execute(
                "SELECT message FROM conversation_messages WHERE conversation_id = ? AND seq >= ? ORDER BY seq",
                (conversation_id, first),
            ).fetchall()
            return header, [message for (message,) in rows]

        return await self._run(self._read, body)

    async def page(self, limit: int, offset: int) -> list[Header]:
        return await self._run(lambda: self._con.execute(_LIST.format("?", "?"), (limit, offset)).fetchall())

    async def count(self) -> int:
        return int(await self._run(lambda: self._con.execute(_COUNT).fetchone()[0]))

    async def delete(self, conversation_id: str) -> bool:
        def body(con: sqlite3.Connection) -> bool:
            con.execute("DELETE FROM conversation_messages WHERE conversation_id = ?", (conversation_id,))
            return con.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,)).rowcount == 1

        return await self._run(self._transaction, body)

    async def set_summary(self, conversation_id: str, summary: str, through: int, expected: int, now: float) -> bool:
        """Store the summary of the first ``through`` messages if the stored summary still covers
        ``expected`` messages (nobody summarised since); False otherwise."""

        def body(con: sqlite3.Connection) -> bool:
            return con.execute(
                """UPDATE conversations SET summary = ?, summarized_count = ?, updated_at = ?
                WHERE id = ? AND summarized_count = ? AND message_count >= ?""",
                (summary, through, now, conversation_id, expected, through),
            ).rowcount == 1

        return await self._run(self._transaction, body)


class PostgresConversations(PostgresTables):
    def __init__(self, database: PostgresDatabase | str) -> None:
        super().__init__(database, POSTGRES_MIGRATIONS, version_table=VERSION_TABLE, lock=MIGRATION_LOCK, what=WHAT)

    async def create(self, new: New) -> bool:
        pool = await self._connected()
        conversation_id, title, system_prompt, metadata, now = new
        inserted = await pool.fetchval(
            f"""INSERT INTO conversations ({HEADER}) VALUES ($1, $2, $3, $4, $5, $5, 0, NULL, 0)
            ON CONFLICT (id) DO NOTHING RETURNING 1""",
            conversation_id, title, system_prompt, metadata, now,
        )
        return inserted is not None

    async def append(self, conversation_id: str, messages: Sequence[Appended], now: float) -> bool:
        pool = await self._connected()
        async with pool.acquire() as con, con.transaction():
            count = await con.fetchval(
                "UPDATE conversations SET message_count = message_count + $1, updated_at = $2 WHERE id = $3 RETURNING message_count",
                len(messages), now, conversation_id,
            )
            if count is None:
                return False
            first = count - len(messages)
            await con.executemany(
                "INSERT INTO conversation_messages (conversation_id, seq, role, message, created_at) VALUES ($1, $2, $3, $4, $5)",
                [(conversation_id, first + i, role, message, now) for i, (role, message) in enumerate(messages)],
            )
        return True

    async def load(self, conversation_id: str, *, unsummarized: bool) -> tuple[Header, list[str]] | None:
        pool = await self._connected()
        async with pool.acquire() as con, con.transaction(isolation="repeatable_read", readonly=True):
            header = await con.fetchrow(f"SELECT {HEADER} FROM conversations WHERE id = $1", conversation_id)
            if header is None:
                return None
            rows = await con.fetch(
                "SELECT message FROM conversation_messages WHERE conversation_id = $1 AND seq >= $2 ORDER BY seq",
                conversation_id, header[8] if unsummarized else 0,
            )
        return tuple(header), [message for (message,) in rows]

    async def page(self, limit: int, offset: int) -> list[Header]:
        pool = await self._connected()
        return [tuple(row) for row in await pool.fetch(_LIST.format("$1", "$2"), limit, offset)]

    async def count(self) -> int:
        pool = await self._connected()
        return int(await pool.fetchval(_COUNT))

    async def delete(self, conversation_id: str) -> bool:
        pool = await self._connected()
        async with pool.acquire() as con, con.transaction():
            await con.execute("DELETE FROM conversation_messages WHERE conversation_id = $1", conversation_id)
            deleted = await con.fetchval("DELETE FROM conversations WHERE id = $1 RETURNING 1", conversation_id)
        return deleted is not None

    async def set_summary(self, conversation_id: str, summary: str, through: int, expected: int, now: float) -> bool:
        pool = await self._connected()
        stored = await pool.fetchval(
            """UPDATE conversations SET summary = $1, summarized_count = $2, updated_at = $3
            WHERE id = $4 AND summarized_count = $5 AND message_count >= $2 RETURNING 1""",
            summary, through, now, conversation_id, expected,
        )
        return stored is not None


ConversationStore = Union[SqliteConversations, PostgresConversations]


def open_conversation_store(url: str | Database) -> ConversationStore:
    """The store in a shared database, or in the database a ledger URL names (the store's own,
    closed with it: ``gateway.ledger.url.open_tables``)."""
    return open_tables(url, SqliteConversations, PostgresConversations, WHAT)
