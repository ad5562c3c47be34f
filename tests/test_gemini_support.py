"""A loopback upstream for the Gemini / Vertex / google-auth tests (no tests of its own).

Plain HTTP for ``googleGeminiBaseUrl`` and TLS (a throwaway self-signed certificate) for the hosts
the reference hard-codes (``oauth2.googleapis.com``, ``*-aiplatform.googleapis.com``, …): the
transport's resolver sends every name to 127.0.0.1, so URLs, ``Host`` and SNI stay the real ones.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import ipaddress
import json
import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import aiohttp
import pytest
from aiohttp import web

from providers.sdk import transport

SAMPLE_KEY_ID = "0123456789abcdef0123456789abcdef01234567"
SCENARIOS = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios"


def sample_service_account() -> dict[str, Any]:
    """The scenarios' sample service account (a fixture key, not a secret)."""
    settings = json.loads((SCENARIOS / "vertex" / "text_stream_sa_token" / "scenario.json").read_text())["settings"]
    return json.loads(settings["vertexJsonCredentials"])


@dataclass
class Reply:
    """One canned response: ``chunks`` are written (and flushed) one by one."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] = field(default_factory=list)
    cut_after: int | None = None  # reset the connection after this many chunks

    @staticmethod
    def json(body: Any, status: int = 200) -> Reply:
        return Reply(status, {"content-type": "application/json; charset=UTF-8"}, [json.dumps(body).encode()])

    @staticmethod
    def sse(*events: Any) -> Reply:
        chunks = [f"data: {json.dumps(e)}\r\n\r\n".encode() for e in events]
        return Reply(200, {"content-type": "text/event-stream"}, chunks)


@dataclass
class Seen:
    method: str
    url: str  # scheme://host/path?query as the client addressed it
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        from urllib.parse import parse_qsl

        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))


class Upstream:
    """Serves ``routes`` (``(predicate on url, reply or list of replies)``) and records requests."""

    def __init__(self) -> None:
        self.routes: list[tuple[Callable[[str], bool], list[Reply]]] = []
        self.seen: list[Seen] = []
        self.base_url = ""

    def route(self, predicate: Callable[[str], bool] | str, *replies: Reply) -> None:
        check = (lambda url: predicate in url) if isinstance(predicate, str) else predicate
        self.routes.append((check, list(replies)))

    def token(self, access_token: str = "ya29.sample-token", expires_in: int = 3599) -> None:
        body = {"access_token": access_token, "expires_in": expires_in, "token_type": "Bearer"}
        self.route(lambda url: "oauth2" in url or url.endswith("/token"), Reply.json(body))

    def requests_to(self, fragment: str) -> list[Seen]:
        return [s for s in self.seen if fragment in s.url]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        scheme = "https" if request.transport and request.transport.get_extra_info("sslcontext") else "http"
        url = f"{scheme}://{request.headers.get('Host')}{request.path_qs}"
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.seen.append(Seen(request.method, url, headers, body, time.monotonic()))
        for check, replies in self.routes:
            if replies and check(url):
                reply = replies.pop(0) if len(replies) > 1 else replies[0]
                break
        else:
            return web.json_response({"error": {"message": "no route"}}, status=418)
        response = web.StreamResponse(status=reply.status, headers=reply.headers)
        await response.prepare(request)
        for index, chunk in enumerate(reply.chunks):
            if reply.cut_after is not None and index >= reply.cut_after:
                assert request.transport is not None
                request.transport.close()
                return response
            await response.write(chunk)
            await asyncio.sleep(0.002)
        await response.write_eof()
        return response


def _certificate(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "provider-port test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("googleapis.com"),
                    x509.DNSName("*.googleapis.com"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
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

    async def resolve(self, host: str, port: int = 0, family: int = 0) -> list[dict[str, Any]]:
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": self._tls_port if port == 443 else port,
                "family": 2,
                "proto": 0,
                "flags": 0,
            }
        ]

    async def close(self) -> None:
        return None


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
async def upstream(tls_files: tuple[Path, Path]) -> AsyncIterator[Upstream]:
    """A started upstream; the transport sends every host to it for the test's duration."""
    cert_path, key_path = tls_files
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
    client_ctx = ssl.create_default_context(cafile=str(cert_path))
    transport.configure(resolver=lambda: _LoopbackResolver(tls_port), ssl=client_ctx)
    try:
        yield server
    finally:
        await transport.aclose()
        transport.configure(resolver=None, ssl=None)
        await runner.cleanup()


def jwt_claims(assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (header, claims) of a compact JWS, checking its RS256 signature with the sample key."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    def b64(segment: str) -> bytes:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))

    head, payload, signature = assertion.split(".")
    key = serialization.load_pem_private_key(sample_service_account()["private_key"].encode(), None)
    key.public_key().verify(b64(signature), f"{head}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr,call-arg,arg-type]
    return json.loads(b64(head)), json.loads(b64(payload))


async def collect(stream: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return [chunk async for chunk in stream]
