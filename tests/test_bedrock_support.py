"""A loopback Bedrock Runtime for the bedrock tests (no tests of its own).

Serves canned responses in order over HTTP/1.1 on 127.0.0.1 and records every request. Event-stream
bodies are built with ``frame()`` (the AWS event-stream encoding: prelude, CRC32s, string headers).
``verify_sigv4`` re-derives a request's SigV4 signature with botocore from the recorded headers.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import ssl
import struct
import time
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from providers import aclose
from providers.sdk import transport

SAMPLE_ACCESS_KEY = "AKIASAMPLETEST000000"
SAMPLE_SECRET_KEY = "sampleSecretKey0000000000000000000000000"
EVENT_STREAM = {"content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": "rid-stream"}
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"


def _string_header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return bytes([len(raw_name)]) + raw_name + b"\x07" + struct.pack(">H", len(raw_value)) + raw_value


def frame(kind: str, payload: Any, message_type: str = "event") -> bytes:
    """One event-stream message: an ``event`` (``:event-type``) or ``exception`` (``:exception-type``)."""
    type_header = ":event-type" if message_type == "event" else ":exception-type"
    headers = (
        _string_header(type_header, kind)
        + _string_header(":content-type", "application/json")
        + _string_header(":message-type", message_type)
    )
    body = json.dumps(payload, separators=(",", ":")).encode()
    prelude = struct.pack(">II", 12 + len(headers) + len(body) + 4, len(headers))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + headers + body
    return message + struct.pack(">I", zlib.crc32(message))


def text_delta(text: str, index: int = 0) -> bytes:
    return frame("contentBlockDelta", {"contentBlockIndex": index, "delta": {"text": text}})


def usage(input_tokens: int = 10, output_tokens: int = 5, **extra: int) -> bytes:
    return frame("metadata", {"usage": {"inputTokens": input_tokens, "outputTokens": output_tokens, **extra}})


@dataclass
class Reply:
    """One canned response; ``chunks`` are written and flushed one by one."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: dict(EVENT_STREAM))
    chunks: list[bytes] = field(default_factory=list)
    cut_after: int | None = None  # close the connection after this many chunks

    @staticmethod
    def error(status: int, error_type: str, message: str) -> Reply:
        headers = {
            "content-type": "application/json",
            "x-amzn-requestid": "rid-error",
            "x-amzn-errortype": f"{error_type}:http://internal.amazon.com/coral/com.amazon.bedrock/",
        }
        return Reply(status, headers, [json.dumps({"message": message}).encode()])

    @staticmethod
    def json(body: Any) -> Reply:
        return Reply(
            200, {"content-type": "application/json", "x-amzn-requestid": "rid-json"}, [json.dumps(body).encode()]
        )


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    served_at: float = 0.0

    def json(self) -> Any:
        return json.loads(self.body)


class Upstream:
    """Replies in order, one per request; records what arrived."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.seen: list[Seen] = []
        self.base_url = ""

    def reply(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        seen = Seen(
            request.method, request.path_qs, {k.lower(): v for k, v in request.headers.items()}, body, time.monotonic()
        )
        self.seen.append(seen)
        if not self.replies:
            return web.json_response({"error": {"message": "no reply left"}}, status=418)
        reply = self.replies.pop(0)
        response = web.StreamResponse(status=reply.status, headers=reply.headers)
        await response.prepare(request)
        for index, chunk in enumerate(reply.chunks):
            if reply.cut_after is not None and index >= reply.cut_after:
                break
            await response.write(chunk)
            await asyncio.sleep(0.002)
        if reply.cut_after is not None:
            assert request.transport is not None
            request.transport.close()
        else:
            await response.write_eof()
        seen.served_at = time.monotonic()
        return response


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    server = Upstream()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.base_url = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        await aclose()
        await runner.cleanup()


class _LoopbackResolver(aiohttp.abc.AbstractResolver):
    """Every host name → 127.0.0.1, port 443 → the TLS listener (URL, Host and SNI unchanged)."""

    def __init__(self, tls_port: int) -> None:
        self._tls_port = tls_port

    async def resolve(self, host: str, port: int = 0, family: int = 0) -> list[dict[str, Any]]:
        port = self._tls_port if port == 443 else port
        return [{"hostname": host, "host": "127.0.0.1", "port": port, "family": 2, "proto": 0, "flags": 0}]

    async def close(self) -> None:
        return None


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A throwaway self-signed CA certificate for ``*.us-east-1.amazonaws.com``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "provider-port bedrock test")])
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
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("*.us-east-1.amazonaws.com")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture
async def tls_upstream(tmp_path: Path) -> AsyncIterator[Upstream]:
    """An upstream behind the real regional host name: the transport's resolver sends it here."""
    cert_path, key_path = _certificate(tmp_path)
    server = Upstream()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_path, key_path)
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context)
    await site.start()
    tls_port = runner.addresses[0][1]
    server.base_url = "https://bedrock-runtime.us-east-1.amazonaws.com"
    transport.configure(
        resolver=lambda: _LoopbackResolver(tls_port), ssl=ssl.create_default_context(cafile=str(cert_path))
    )
    try:
        yield server
    finally:
        await aclose()
        transport.configure(resolver=None, ssl=None)
        await runner.cleanup()


def settings(upstream: Upstream, **overrides: Any) -> dict[str, Any]:
    """Static sample keys, us-east-1, the loopback endpoint."""
    return {
        "apiProvider": "bedrock",
        "apiModelId": SONNET,
        "awsRegion": "us-east-1",
        "awsAccessKey": SAMPLE_ACCESS_KEY,
        "awsSecretKey": SAMPLE_SECRET_KEY,
        "awsBedrockEndpoint": upstream.base_url,
        "awsBedrockEndpointEnabled": True,
        **overrides,
    }


async def collect(stream: AsyncIterator[dict[str, Any]]) -> tuple[list[dict[str, Any]], BaseException | None]:
    """The chunks a ``create_message`` stream yields, and what it raised (if anything)."""
    chunks: list[dict[str, Any]] = []
    try:
        async for chunk in stream:
            chunks.append(chunk)
    except Exception as error:  # noqa: BLE001 - returned to the test
        return chunks, error
    return chunks, None


def verify_sigv4(seen: Seen, base_url: str, access_key: str, secret_key: str, token: str | None = None) -> str:
    """Re-derive the request's SigV4 signature from what was sent; returns the credential scope."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    authorization = seen.headers["authorization"]
    credential = authorization.split("Credential=")[1].split(",")[0]
    access_key_id, date, region, service, terminator = credential.split("/")
    assert (access_key_id, service, terminator) == (access_key, "bedrock", "aws4_request")
    signed_headers = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    request = AWSRequest(
        method=seen.method,
        url=base_url + seen.path,
        data=seen.body,
        headers={name: seen.headers[name] for name in signed_headers},
    )
    signer = SigV4Auth(Credentials(access_key, secret_key, token), "bedrock", region)
    request.context["timestamp"] = seen.headers["x-amz-date"]
    assert seen.headers["x-amz-date"].startswith(date)
    canonical_request = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical_request), request)
    assert authorization.split("Signature=")[1] == expected
    return f"{date}/{region}"
