"""The tests' loopback upstream: the harness's fixture server, test CA and resolver (no tests).

``serve`` (``parity.runner.serve``) starts a ``parity.server.FixtureServer`` (plain HTTP on
``base_url`` for the settings that take a base URL, TLS for the hosts the reference hard-codes)
and points the transport at it with ``parity.runner.LoopbackResolver``, so URL, ``Host`` and SNI
stay the real ones. ``Upstream`` is that server as a handler test drives it (conftest.py's
``upstream`` fixture): canned ``Reply``s served in order by the FORMAT.md serving rule, and every
request read back as ``Seen``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from parity.runner import normalise, run_scenario
from parity.server import FixtureServer
from parity.tls import TLSFiles

SCENARIOS = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios"
SAMPLE_TOKEN = "ya29.c.sample-access-token"
SYSTEM = "You are Roo."
# The Stainless SDKs' platform headers (FORMAT.md: present, value not compared).
PLATFORM_HEADERS = frozenset(
    {"x-stainless-os", "x-stainless-arch", "x-stainless-runtime", "x-stainless-runtime-version"}
)
TOKEN_URL = r"oauth2|/token$"  # oauth2.googleapis.com/token and www.googleapis.com/oauth2/v4/token
R = TypeVar("R", bound="Reply")


def sample_service_account() -> dict[str, Any]:
    """The scenarios' sample service account (a fixture key, not a secret)."""
    settings = json.loads((SCENARIOS / "vertex" / "text_stream_sa_token" / "scenario.json").read_text())["settings"]
    return json.loads(settings["vertexJsonCredentials"])  # type: ignore[no-any-return]


async def run_call(
    tls_files: TLSFiles,
    upstream: list[dict[str, Any]],
    settings: dict[str, Any],
    *,
    messages: list[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
    prompt: str | None = None,
) -> dict[str, Any]:
    """One call through the port against ``upstream`` (createMessage, or completePrompt with
    ``prompt``): the transcript, as the harness builds it (``parity.runner.run_scenario``)."""
    if prompt is not None:
        call: dict[str, Any] = {"method": "completePrompt", "prompt": prompt}
    else:
        call = {
            "method": "createMessage",
            "systemPrompt": SYSTEM,
            "messages": messages or [{"role": "user", "content": "Hi"}],
            "metadata": metadata or {"taskId": "task-1"},
        }
    scenario = {"settings": settings, "call": call, "upstream": upstream, "settle_ms": 0}
    return await run_scenario(scenario, tls_files)


@dataclass
class Reply:
    """One canned response: ``chunks`` are written (and flushed) one by one."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] = field(default_factory=list)
    delay_ms: float | None = None  # between chunks; the fixture server's default when None
    cut_after: int | None = None  # reset the connection after this many chunks

    @classmethod
    def json(cls: type[R], body: Any, status: int = 200, headers: dict[str, str] | None = None) -> R:
        return cls(status, {"content-type": "application/json", **(headers or {})}, [json.dumps(body).encode()])

    def entry(self, url_regex: str | None = None, times: int = 1) -> dict[str, Any]:
        """This reply as a FORMAT.md ``upstream`` entry, for the URLs ``url_regex`` finds."""
        spec: dict[str, Any] = {
            "status": self.status,
            "headers": dict(self.headers),
            "body_chunks_b64": [base64.b64encode(chunk).decode("ascii") for chunk in self.chunks],
            "times": times,
        }
        if url_regex is not None:
            spec["match"] = {"url_regex": url_regex}
        if self.delay_ms is not None:
            spec["delay_ms"] = self.delay_ms
        if self.cut_after is not None:
            spec["destroy_after_chunks"] = self.cut_after
        return spec


@dataclass(frozen=True)
class Seen:
    """One request as it arrived."""

    method: str
    url: str  # the real URL for a hard-coded host, else {{BASE_URL}}/path?query (the golden's way)
    path: str  # path and query as sent
    headers: dict[str, str]  # lower-cased, in arrival order
    body: bytes
    t_ms: float  # since the first request
    t_end_ms: float | None  # when its reply ended; None while it is being written

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))


class Upstream:
    """A started fixture server with replies added per URL fragment."""

    def __init__(self, server: FixtureServer) -> None:
        self.server = server

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def route(self, url_fragment: str, *replies: Reply, times: int = 1) -> None:
        """Serve ``replies`` in order to requests whose URL contains ``url_fragment``, each
        ``times`` times; a request no reply is left for gets the fixture server's 418."""
        self.server.add(*(reply.entry(re.escape(url_fragment), times) for reply in replies))

    def reply(self, *replies: Reply) -> None:
        """Serve ``replies`` in order, one per request, whatever its URL."""
        self.server.add(*(reply.entry() for reply in replies))

    def token(self, access_token: str = SAMPLE_TOKEN, expires_in: int = 3599, times: int = 1) -> None:
        """Google's OAuth2 token endpoint (either library version's URL) grants ``access_token``."""
        body = {"access_token": access_token, "expires_in": expires_in, "token_type": "Bearer"}
        self.server.add(Reply.json(body).entry(TOKEN_URL, times))

    @property
    def seen(self) -> list[Seen]:
        """Every request so far, in arrival order."""
        return [
            Seen(
                record["method"],
                normalise(record["original_url"] or self.base_url + record["url"], self.base_url),
                record["url"],
                record["headers"],
                body,
                record["t_ms"],
                record.get("t_end_ms"),
            )
            for record, body in zip(self.server.requests, self.server.bodies, strict=True)
        ]

    def requests_to(self, url_fragment: str) -> list[Seen]:
        return [seen for seen in self.seen if url_fragment in seen.url]

    async def idle(self) -> None:
        """Return once no reply is being written (its end, or its client going away)."""
        await self.server.idle()


async def collect(stream: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return [chunk async for chunk in stream]
