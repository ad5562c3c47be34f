"""Fixtures for every test module: the test CA and a started loopback upstream (tests/loopback.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from loopback import Upstream

from parity.runner import serve
from parity.tls import TLSFiles, make_tls_files


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    """A CA and a leaf certificate for the hosts the reference hard-codes (parity.tls)."""
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture
async def upstream(tls_files: TLSFiles) -> AsyncIterator[Upstream]:
    """A started upstream; the transport sends every host to it for the test's duration."""
    async with serve(tls_files) as server:
        yield Upstream(server)
