"""The HTTP gateway on a real socket for the tests (no tests): ``gateway(config)`` starts
``gateway.server.build_app(config)`` on 127.0.0.1 at a free port with the options
``python -m gateway serve`` runs it with, and yields its origin."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from gateway.server import build_app
from gateway.server.app import RUNNER_OPTIONS

KEY = "gw-test-key-0001"  # a gateway key of the tests (not a secret)
OTHER_KEY = "gw-test-key-0002"


def key_table(key_id: str, key: str, **extra: Any) -> dict[str, Any]:
    """A ``[[keys]]`` entry for ``key``, stored as its digest."""
    return {"id": key_id, "key_sha256": hashlib.sha256(key.encode()).hexdigest(), **extra}


@contextlib.asynccontextmanager
async def gateway(config: dict[str, Any]) -> AsyncIterator[str]:
    app = build_app(config)
    runner = web.AppRunner(app, **RUNNER_OPTIONS)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
