"""Which database a ledger opens (ours): SQLAlchemy-style URLs, and the default file;
``open_database`` opens one for several stores to share (``database``).

``sqlite:////abs/path.db`` (four slashes: an absolute path), ``sqlite:///rel/path.db`` (three: a
path relative to the working directory), ``postgresql://user@host:port/db`` (or
``postgres://``). Without a URL: ``GATEWAY_DB`` when set, else ``usage.db`` under
``$XDG_DATA_HOME/provider-port`` (``~/.local/share/provider-port``).
"""

from __future__ import annotations

import os
from pathlib import Path
from collections.abc import Callable
from typing import Any, TypeVar, Union
from urllib.parse import urlsplit

from .database import Database, PostgresDatabase, SqliteFile, redact
from .store_postgres import PostgresStore
from .store_sqlite import SqliteStore

AnyStore = Union[SqliteStore, PostgresStore]
T = TypeVar("T")


def default_url() -> str:
    """The URL ``Ledger()`` opens."""
    env = os.environ.get("GATEWAY_DB")
    if env:
        return env
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return "sqlite:///" + str(Path(data_home) / "provider-port" / "usage.db")


def database_or_url(owner: str, url: str | None, database: Database | None) -> tuple[str, str | Database]:
    """What a store of ``owner`` (``Ledger``, ``ConversationManager``) opens on: ``database``
    when one is given (a ``url`` naming another is an error), else ``url`` or ``default_url()``;
    with the URL it names."""
    if database is None:
        chosen = default_url() if url is None else url
        return chosen, chosen
    if url is not None and url != database.url:
        raise ValueError(f"{owner}({redact(url)!r}) given the database at {redact(database.url)!r}")
    return database.url, database


def parse_url(url: str, what: str = "ledger") -> Path | str:
    """The SQLite file (a ``Path``) or the PostgreSQL URL (a ``str``) a URL names; ``ValueError``
    naming the accepted forms for anything else. ``what`` names the database's user in errors."""
    if not isinstance(url, str):
        raise ValueError(f"a {what} URL is a string, not {type(url).__name__}")
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        if not path or path == ":memory:":
            raise ValueError(f"unreadable {what} URL {url!r}: name a file, as sqlite:////abs/path.db or sqlite:///rel.db")
        return Path(path)
    scheme = url.partition("://")[0]
    if scheme in ("postgresql", "postgres"):
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError on a port that is not a number
        except ValueError as exc:
            raise ValueError(f"unreadable {what} URL {redact(url)!r}: {exc}") from exc
        if not parts.hostname and "host=" not in parts.query:
            raise ValueError(f"unreadable {what} URL {redact(url)!r}: no host")
        return url
    raise ValueError(
        f"unreadable {what} URL {redact(url)!r}: expected sqlite:////abs/path.db, sqlite:///rel/path.db "
        "or postgresql://user@host/db"
    )


def open_database(url: str, what: str = "ledger") -> Database:
    """The database a URL names (``parse_url``), for several stores to share: the SQLite file
    opened now, the PostgreSQL pool on first use. Its opener closes it (``aclose``)."""
    target = parse_url(url, what)
    return SqliteFile(target, what=what, url=url) if isinstance(target, Path) else PostgresDatabase(target, what=what)


def open_tables(source: str | Database, sqlite: Callable[[Any], T], postgres: Callable[[Any], T], what: str = "ledger") -> T:
    """A store's set of tables (built by ``sqlite`` or ``postgres``) in a shared database, or in
    the database a URL names (``parse_url``; the store's own, closed with it)."""
    target = parse_url(source, what) if isinstance(source, str) else source
    return sqlite(target) if isinstance(target, (Path, SqliteFile)) else postgres(target)


def open_store(url: str | Database) -> AnyStore:
    """The ledger's store (``open_tables``)."""
    return open_tables(url, SqliteStore, PostgresStore)
