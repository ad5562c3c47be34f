"""A loopback upstream for the Anthropic / Claude-on-Vertex tests (no tests of its own).

Plain HTTP for ``anthropicBaseUrl`` and TLS (a throwaway certificate authority) for the hosts the
reference hard-codes (``api.anthropic.com``, ``www.googleapis.com``, ``*-aiplatform.googleapis.com``):
the transport's resolver sends every name to 127.0.0.1, so URLs, ``Host`` and SNI stay the real
ones. Each request is recorded; each reply is written chunk by chunk.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import ResolveResult

from providers.sdk import transport

SCENARIOS = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios"
SAMPLE_API_KEY = "sk-ant-api03-SAMPLETESTKEY000000000000000000000000000000"
SAMPLE_TOKEN = "ya29.c.sample-access-token"
SYSTEM = "You are Roo."

# Headers whose values belong to the platform or the connection, not to the port's choices.
PLATFORM_HEADERS = frozenset(
    {"x-stainless-os", "x-stainless-arch", "x-stainless-runtime", "x-stainless-runtime-version", "host", "x-goog-api-client"}
)


def sample_service_account() -> dict[str, Any]:
    """The scenarios' sample service account (a fixture key, not a secret)."""
    settings = json.loads((SCENARIOS / "anthropic-vertex" / "text_stream_sa_token" / "scenario.json").read_text())
    return json.loads(settings["settings"]["vertexJsonCredentials"])


@dataclass
class Reply:
    """One canned response: ``chunks`` are written (and flushed) one by one."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] = field(default_factory=list)
    delay: float = 0.001  # seconds between chunks

    @staticmethod
    def json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        return Reply(status, {"content-type": "application/json", **(headers or {})}, [json.dumps(body).encode()])

    @staticmethod
    def sse(*events: dict[str, Any]) -> Reply:
        """``event: <type>`` / ``data: <json>`` per event, as Anthropic's API writes them."""
        chunks = [f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events]
        return Reply(200, {"content-type": "text/event-stream; charset=utf-8"}, chunks)


@dataclass
class Seen:
    method: str
    url: str  # https://host/path?query as the client addressed it, or {{BASE_URL}}/path?query
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def transcript(self) -> dict[str, Any]:
        """What a snapshot shows: the request without platform headers; a JSON body as sent (its
        key order and layout are part of the behaviour), a form body by its field names (the JWT
        in a token request changes with the clock)."""
        headers = {k: _redact(k, v) for k, v in self.headers.items() if k not in PLATFORM_HEADERS}
        if "json" in headers.get("content-type", ""):
            body: Any = self.body.decode()
        else:
            body = {"form_fields": [part.split("=", 1)[0] for part in self.body.decode().split("&")]}
        return {"method": self.method, "url": self.url, "headers": headers, "body": body}


def _redact(name: str, value: str) -> str:
    """Credentials cut to a short prefix: snapshots show no key or token."""
    if name == "x-api-key":
        return value[:10] + "…"
    if name == "authorization":
        scheme, _, credential = value.partition(" ")
        return f"{scheme} {credential[:6]}…"
    return value


class Upstream:
    """Serves ``routes`` (``(predicate on url, replies)``) in order and records every request."""

    def __init__(self) -> None:
        self.routes: list[tuple[Callable[[str], bool], list[Reply]]] = []
        self.seen: list[Seen] = []
        self.base_url = ""
        self.disconnected = asyncio.Event()  # a client went away while a reply was being written

    def route(self, fragment: str, *replies: Reply) -> None:
        self.routes.append((lambda url: fragment in url, list(replies)))

    def token(self, access_token: str = SAMPLE_TOKEN) -> None:
        body = {"access_token": access_token, "expires_in": 3599, "token_type": "Bearer"}
        self.route("/oauth2/v4/token", Reply.json(body))

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        tls = request.transport is not None and request.transport.get_extra_info("sslcontext") is not None
        # the plain listener's port changes per run: its origin is written as {{BASE_URL}}
        url = f"https://{request.headers.get('Host')}{request.path_qs}" if tls else f"{{{{BASE_URL}}}}{request.path_qs}"
        self.seen.append(Seen(request.method, url, {k.lower(): v for k, v in request.headers.items()}, body))
        for check, replies in self.routes:
            if replies and check(url):
                reply = replies.pop(0)
                break
        else:
            return web.json_response({"error": {"message": "no route"}}, status=418)
        response = web.StreamResponse(status=reply.status, headers=reply.headers)
        await response.prepare(request)
        try:
            for chunk in reply.chunks:
                await response.write(chunk)
                await asyncio.sleep(reply.delay)
            await response.write_eof()
        except ConnectionError:
            self.disconnected.set()
        return response


def _certificate(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "provider-port anthropic test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    names = ["api.anthropic.com", "googleapis.com", "*.googleapis.com"]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class _LoopbackResolver(aiohttp.abc.AbstractResolver):
    def __init__(self, tls_port: int) -> None:
        self._tls_port = tls_port

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        target = self._tls_port if port == 443 else port
        return [{"hostname": host, "host": "127.0.0.1", "port": target, "family": socket.AF_INET, "proto": 0, "flags": 0}]

    async def close(self) -> None:
        return None


@pytest.fixture(scope="session")
def anthropic_tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _certificate(tmp_path_factory.mktemp("anthropic-tls"))


@pytest.fixture
async def upstream(anthropic_tls_files: tuple[Path, Path]) -> AsyncIterator[Upstream]:
    """A started upstream; the transport sends every host to it for the test's duration."""
    cert_path, key_path = anthropic_tls_files
    server = Upstream()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    plain = web.TCPSite(runner, "127.0.0.1", 0)
    await plain.start()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert_path, key_path)
    secure = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
    await secure.start()
    port = plain._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    tls_port = secure._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.base_url = f"http://127.0.0.1:{port}"
    transport.configure(
        resolver=lambda: _LoopbackResolver(tls_port), ssl=ssl.create_default_context(cafile=str(cert_path))
    )
    try:
        yield server
    finally:
        await transport.aclose()
        transport.configure(resolver=None, ssl=None)
        await runner.cleanup()


# --- the Messages API's stream events ---------------------------------------------------------


def message_start(input_tokens: int = 10, output_tokens: int = 1, **usage: int) -> dict[str, Any]:
    return {
        "type": "message_start",
        "message": {
            "id": "msg_01Sample",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5-20250929",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, **usage, "output_tokens": output_tokens},
        },
    }


def block_start(index: int, block: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": block}


def block_delta(index: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}


def block_stop(index: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


def message_end(output_tokens: int = 5) -> list[dict[str, Any]]:
    return [
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": output_tokens}},
        {"type": "message_stop"},
    ]


def text_stream(text: str = "Hello!") -> Reply:
    """A minimal stream: one text block."""
    return Reply.sse(
        message_start(),
        block_start(0, {"type": "text", "text": ""}),
        block_delta(0, {"type": "text_delta", "text": text}),
        block_stop(0),
        *message_end(),
    )


async def collect(stream: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return [chunk async for chunk in stream]
