"""Fixtures for every test module: the test CA, a started loopback upstream (tests/loopback.py)
and a throwaway PostgreSQL server (tests/pg_server.py) for the ledger and the conversations."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
from loopback import Upstream
from pg_server import PostgresServer

from parity.runner import serve
from parity.tls import TLSFiles, make_tls_files


@pytest.fixture(autouse=True)
def no_real_google_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """google-auth-library's ADC path asks the metadata server (169.254.169.254, an address no
    resolver reroutes) and runs ``gcloud``: point the former at a closed loopback port and put a
    ``gcloud`` that fails first on PATH, so no test reaches this machine's own. Tests that serve
    either set their own. gcp-metadata's process-wide caches start empty for each test."""
    from providers.sdk import gcp_metadata

    bin_dir = tmp_path_factory.getbasetemp() / "no-gcloud-bin"
    if not bin_dir.exists():
        bin_dir.mkdir()
        gcloud = bin_dir / "gcloud"
        gcloud.write_text("#!/bin/sh\nexit 1\n")
        gcloud.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:1")
    for name in ("GCE_METADATA_IP", "METADATA_SERVER_DETECTION", "K_SERVICE", "CLOUD_RUN_JOB", "FUNCTION_NAME"):
        monkeypatch.delenv(name, raising=False)
    gcp_metadata.reset_caches()
    yield
    gcp_metadata.reset_caches()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    """A CA and a leaf certificate for the hosts the reference hard-codes (parity.tls)."""
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture
async def upstream(tls_files: TLSFiles) -> AsyncIterator[Upstream]:
    """A started upstream; the transport sends every host to it for the test's duration."""
    async with serve(tls_files) as server:
        yield Upstream(server)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the session (``create_database`` gives each test its own
    database); a server that cannot start fails the tests that need it, never skips them."""
    try:
        server = PostgresServer()
    except (RuntimeError, OSError) as exc:
        pytest.fail(f"these tests need a PostgreSQL server and none could be started: {exc}")
    yield server
    server.stop()
