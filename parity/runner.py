"""Drive the port through one scenario and build its transcript, in ``golden.json``'s shape.

Reads the port through the public API only (FORMAT.md, "The port's side of a transcript"):
``providers.build_api_handler(settings)``, then ``create_message`` or ``complete_prompt``. The
transport is pointed at the fixture server through its injection points, never by patching: a
resolver that sends every host name to the TLS listener (port 443) or the plain one, and an SSL
context that trusts the test CA. What the port sends is unchanged.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Callable

from aiohttp.abc import AbstractResolver, ResolveResult

from gateway.reference_errors import as_json, error_transcript

from .server import FixtureServer
from .tls import TLSFiles

BASE_URL = "{{BASE_URL}}"
BASE_HOST = "{{BASE_HOST}}"
DEFAULT_TIMEOUT_MS = 60_000
DEFAULT_SETTLE_MS = 300


class NotPorted(Exception):
    """The scenario's provider has no port (yet)."""


class LoopbackResolver(AbstractResolver):
    """Every host name resolves to 127.0.0.1: port 443 goes to the TLS listener."""

    def __init__(self, tls_port: int) -> None:
        self._tls_port = tls_port

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        target = self._tls_port if port == 443 else port
        return [
            {"hostname": host, "host": "127.0.0.1", "port": target,
             "family": socket.AF_INET, "proto": 0, "flags": 0}
        ]

    async def close(self) -> None:
        return None


def load_scenario(directory: Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
    scenario = json.loads((directory / "scenario.json").read_text(encoding="utf-8"))
    golden_path = directory / "golden.json"
    golden = json.loads(golden_path.read_text(encoding="utf-8")) if golden_path.exists() else None
    return scenario, golden


def substitute(value: Any, base_url: str) -> Any:
    """``{{BASE_URL}}`` / ``{{BASE_HOST}}`` replaced by the fixture origin, everywhere in ``value``."""
    host = base_url.split("://", 1)[1]
    return _map_strings(value, lambda text: text.replace(BASE_URL, base_url).replace(BASE_HOST, host))


def normalise(value: Any, base_url: str) -> Any:
    """The fixture origin written back as ``{{BASE_URL}}`` / ``{{BASE_HOST}}`` (the golden's way)."""
    host = base_url.split("://", 1)[1]
    return _map_strings(value, lambda text: text.replace(base_url, BASE_URL).replace(host, BASE_HOST))


def _map_strings(value: Any, change: Callable[[str], str]) -> Any:
    """``value`` with ``change`` applied to every string in it (JSON-shaped data)."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [_map_strings(v, change) for v in value]
    if isinstance(value, dict):
        return {k: _map_strings(v, change) for k, v in value.items()}
    return value


@asynccontextmanager
async def serve(tls: TLSFiles, upstream: Iterable[dict[str, Any]] = ()) -> AsyncIterator[FixtureServer]:
    """A started fixture server for ``upstream``; the transport sends every host to it until the
    block ends, then the port's session is closed and the transport reset."""
    import providers
    from providers.sdk import transport

    server = await FixtureServer(list(upstream), tls.server_context()).start()
    transport.configure(resolver=lambda: LoopbackResolver(server.tls_port), ssl=tls.client_context())
    try:
        yield server
    finally:
        await providers.aclose()
        transport.configure(resolver=None, ssl=None)
        await server.close()


async def run_scenario(scenario: dict[str, Any], tls: TLSFiles) -> dict[str, Any]:
    """Serve ``scenario`` and run its call through the port; return the transcript.

    Raises ``NotPorted`` when the provider has no port. Meant for a fresh process per scenario
    (every cache of the port starts empty, as in the reference's recordings).
    """
    import providers

    async with serve(tls, scenario.get("upstream") or []) as server:
        for name, value in (scenario.get("env") or {}).items():
            os.environ[name] = substitute(str(value), server.base_url)
        settings = substitute(scenario.get("settings") or {}, server.base_url)
        call = substitute(scenario.get("call") or {}, server.base_url)
        try:
            handler = providers.build_api_handler(settings)
        except (providers.NotPortedError, ModuleNotFoundError) as exc:
            raise NotPorted(str(exc)) from exc
        chunks: list[Any] = []
        result: Any = None
        error: dict[str, Any] | None = None
        timeout_s = float(scenario.get("timeout_ms", DEFAULT_TIMEOUT_MS)) / 1000.0
        started = time.monotonic()

        async def call_port() -> Any:
            if call.get("method") == "completePrompt":
                return await handler.complete_prompt(call.get("prompt"))
            stream = handler.create_message(
                call.get("systemPrompt"), call.get("messages") or [], call.get("metadata")
            )
            async for chunk in stream:
                chunks.append(as_json(chunk))
            return None

        try:
            result = await asyncio.wait_for(call_port(), timeout_s)
        except asyncio.TimeoutError as exc:
            if time.monotonic() - started < timeout_s:
                error = error_transcript(exc, len(chunks))
            else:
                error = {"name": "HarnessTimeout", "after_chunks": len(chunks), "status": None,
                         "message": f"the call took longer than {timeout_s:g} s", "props": {}}
        except Exception as exc:  # noqa: BLE001  any error is part of the transcript
            error = error_transcript(exc, len(chunks))
        await asyncio.sleep(float(scenario.get("settle_ms", DEFAULT_SETTLE_MS)) / 1000.0)
    return {
        "requests": normalise(server.requests, server.base_url),
        "chunks": normalise(chunks, server.base_url),
        "result": result,
        "error": normalise(error, server.base_url),
        "unused_upstream": server.unused_upstream(),
    }

