"""The fixture server: replays a scenario's ``upstream`` on loopback sockets and records requests.

Implements every ``upstream`` field of FORMAT.md: ``status``/``headers``, ``body_chunks`` or
``body_chunks_b64`` (each chunk written and flushed on its own), ``delay_ms`` (default 2),
``first_chunk_delay_ms``, ``headers_delay_ms``, ``end_delay_ms``, ``destroy_after_chunks``,
``match`` (``method``, ``path_regex``, ``url_regex`` on the original URL) and ``times``, and the
418 answer when no entry is left. Two listeners share the app: plain HTTP (the scenario's
``{{BASE_URL}}``) and TLS for the hosts the reference hard-codes, whose ``Host`` header gives
each request its ``original_url``.

For tests driving it directly: ``add`` appends entries to a running server, ``bodies`` keeps each
request's body bytes as received (a record holds it parsed), and ``idle`` waits until every
request received so far has been answered (or its client went away).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

NO_ENTRY_LEFT = b'{"error":{"message":"fixture server: no upstream entry left for this request"}}'
DEFAULT_DELAY_MS = 2.0


@dataclass
class Entry:
    """One ``upstream`` entry: its ``match`` compiled, the uses left, its body chunks as bytes."""

    spec: dict[str, Any]
    uses_left: int
    method: str | None = None
    path_regex: re.Pattern[str] | None = None
    url_regex: re.Pattern[str] | None = None

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> Entry:
        match = spec.get("match") or {}
        return cls(
            spec,
            int(spec.get("times", 1)),
            match.get("method"),
            re.compile(match["path_regex"]) if "path_regex" in match else None,
            re.compile(match["url_regex"]) if "url_regex" in match else None,
        )

    def fits(self, method: str, path: str, url: str) -> bool:
        if self.uses_left <= 0:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.path_regex is not None and not self.path_regex.search(path):
            return False
        return self.url_regex is None or bool(self.url_regex.search(url))

    def chunks(self) -> list[bytes]:
        if "body_chunks_b64" in self.spec:
            return [base64.b64decode(c) for c in self.spec["body_chunks_b64"]]
        return [c.encode("utf-8") for c in self.spec.get("body_chunks") or []]


@dataclass
class FixtureServer:
    """Serve ``upstream`` (a scenario's list) and record every request, in arrival order."""

    upstream: list[dict[str, Any]]
    tls_context: ssl.SSLContext | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)  # as received, one per record of ``requests``
    port: int = 0
    tls_port: int = 0
    _entries: list[Entry] = field(default_factory=list)
    _t0: float | None = None
    _runner: web.AppRunner | None = None
    _busy: int = 0  # requests being answered
    _idle: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FixtureServer:
        self._entries = [Entry.from_spec(spec) for spec in self.upstream]
        app = web.Application(client_max_size=1 << 30)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        plain = web.TCPSite(self._runner, "127.0.0.1", 0)
        await plain.start()
        self.port = bound_port(plain)
        if self.tls_context is not None:
            secure = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.tls_context)
            await secure.start()
            self.tls_port = bound_port(secure)
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def add(self, *specs: dict[str, Any]) -> None:
        """Append ``upstream`` entries; a running server serves them from now on."""
        self.upstream = [*self.upstream, *specs]
        self._entries.extend(Entry.from_spec(spec) for spec in specs)

    async def idle(self) -> None:
        """Return once no request is being answered (at once when none is)."""
        if self._busy:
            await self._idle.wait()

    def unused_upstream(self) -> list[int]:
        return [i for i, e in enumerate(self._entries) if e.uses_left == int(e.spec.get("times", 1))]

    def _now_ms(self) -> float:
        assert self._t0 is not None
        return round((time.monotonic() - self._t0) * 1000.0, 3)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self._t0 is None:
            self._t0 = time.monotonic()  # the clock starts at the first request: its t_ms is 0
        t_ms = self._now_ms() if self.requests else 0.0
        self._busy += 1
        self._idle.clear()
        try:
            return await self._answer(request, t_ms)
        finally:
            self._busy -= 1
            if not self._busy:
                self._idle.set()

    async def _answer(self, request: web.Request, t_ms: float) -> web.StreamResponse:
        body = await request.read()
        tls = request.transport is not None and request.transport.get_extra_info("sslcontext") is not None
        path = request.raw_path
        original_url = f"https://{request.host}{path}" if tls else None
        record: dict[str, Any] = {
            "method": request.method,
            "url": path,
            "original_url": original_url,
            "headers": _joined_headers(request.raw_headers),
            "body": _recorded_body(body),
            "t_ms": t_ms,
            "http_version": f"{request.version.major}.{request.version.minor}",
            "upstream_index": None,
        }
        self.requests.append(record)
        self.bodies.append(body)
        match_url = original_url or f"{self.base_url}{path}"
        index = next(
            (i for i, e in enumerate(self._entries) if e.fits(request.method, path, match_url)), None
        )
        try:
            if index is None:
                return web.Response(status=418, body=NO_ENTRY_LEFT, content_type="application/json")
            entry = self._entries[index]
            entry.uses_left -= 1
            record["upstream_index"] = index
            return await self._serve(request, entry)
        finally:
            record["t_end_ms"] = self._now_ms()

    async def _serve(self, request: web.Request, entry: Entry) -> web.StreamResponse:
        spec = entry.spec
        await _sleep_ms(spec.get("headers_delay_ms"))
        response = web.StreamResponse(status=int(spec.get("status", 200)))
        for name, value in (spec.get("headers") or {}).items():
            response.headers.add(name, str(value))
        chunks = entry.chunks()
        destroy_after = spec.get("destroy_after_chunks")
        await response.prepare(request)
        delay = float(spec.get("delay_ms", DEFAULT_DELAY_MS))
        try:
            for i, chunk in enumerate(chunks):
                if destroy_after is not None and i >= int(destroy_after):
                    break
                await _sleep_ms(spec.get("first_chunk_delay_ms") if i == 0 else delay)
                await response.write(chunk)
            if destroy_after is not None:
                _destroy(request)
                return response
            await _sleep_ms(spec.get("end_delay_ms"))
            await response.write_eof()
        except (ConnectionError, asyncio.CancelledError):
            # the client went away mid-reply (it broke out of a stream): nothing left to serve
            pass
        return response


def _destroy(request: web.Request) -> None:
    """Cut the connection as Node's ``socket.destroy()`` does: no end of body, no more bytes."""
    transport = request.transport
    if transport is not None:
        transport.close()
    request.protocol.force_close()


def _joined_headers(raw: tuple[tuple[bytes, bytes], ...]) -> dict[str, str]:
    """Lower-cased names in arrival order; a repeated header joined with ", "."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in raw:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("utf-8", "surrogateescape")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def _recorded_body(body: bytes) -> Any:
    """Parsed JSON; ``{"raw": text}`` when not JSON (an empty body too); ``{"raw_b64": …}`` when not UTF-8."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return {"raw_b64": base64.b64encode(body).decode("ascii")}
    try:
        return json.loads(text)
    except ValueError:
        return {"raw": text}


async def _sleep_ms(value: Any) -> None:
    if value:
        await asyncio.sleep(float(value) / 1000.0)


def bound_port(site: web.TCPSite) -> int:
    """The port the OS gave a site started on port 0."""
    server = site._server  # aiohttp exposes the listening socket only here
    assert server is not None and server.sockets  # type: ignore[union-attr]
    return int(server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
