"""A throwaway PostgreSQL server for the ledger's tests (no tests).

``initdb`` into a temporary directory and ``postgres`` on a free loopback port (no Unix socket,
trust authentication, no fsync). PostgreSQL refuses to run as root: under root (CI on a fresh
clone) the server runs as the unprivileged system user ``pgtest``, created here when missing.
The binaries are looked up on PATH, then under ``/usr/lib/postgresql/*/bin`` (Debian's server
package). Anything that keeps the server from starting raises ``RuntimeError`` with the reason,
which the fixture turns into a failure, never a skip.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tools.bench.proxies import free_port

RUN_AS = "pgtest"
SUPERUSER = "ledger"
START_TIMEOUT_S = 30.0


def _binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise RuntimeError(
            f"PostgreSQL's {name} is neither on PATH nor under /usr/lib/postgresql/*/bin: "
            "install the PostgreSQL server package to run the ledger's PostgreSQL tests"
        )
    return found


def _unprivileged_user() -> str | None:
    """The user the server runs as: ``pgtest`` under root (created if missing), else ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(RUN_AS)
    except KeyError:
        created = subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", RUN_AS],
            capture_output=True, text=True,
        )
        if created.returncode != 0:
            raise RuntimeError(f"cannot create the user {RUN_AS!r} to run PostgreSQL as: {created.stderr.strip()}")
    return RUN_AS


class PostgresServer:
    def __init__(self) -> None:
        initdb, postgres = _binary("initdb"), _binary("postgres")
        user = _unprivileged_user()
        self.dir = Path(tempfile.mkdtemp(prefix="ledger-pg-"))
        if user is not None:
            shutil.chown(self.dir, user)
        data = self.dir / "data"
        made = subprocess.run(
            [initdb, "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-sync"],
            capture_output=True, text=True, user=user,
        )
        if made.returncode != 0:
            raise RuntimeError(f"initdb failed ({made.returncode}): {made.stderr.strip()}")
        self.port = free_port()
        self._log_path = self.dir / "server.log"
        with open(self._log_path, "wb") as log:
            self.process = subprocess.Popen(
                [postgres, "-D", str(data), "-h", "127.0.0.1", "-p", str(self.port), "-k", "",
                 "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
                stdout=log, stderr=subprocess.STDOUT, user=user,
            )
        self._names = itertools.count(1)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited with {self.process.returncode}: {self.log()}")
            if "ready to accept connections" in self.log():
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"postgres did not start within {START_TIMEOUT_S:g} s: {self.log()}")

    def log(self) -> str:
        return self._log_path.read_text(errors="replace")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    async def create_database(self) -> str:
        """A new empty database; its URL."""
        import asyncpg

        name = f"ledger_test_{next(self._names)}"
        connection = await asyncpg.connect(self.url())
        try:
            await connection.execute(f"CREATE DATABASE {name}")
        finally:
            await connection.close()
        return self.url(name)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
