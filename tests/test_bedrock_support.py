"""Bedrock Runtime helpers for the bedrock tests (no tests of its own).

The upstream is conftest.py's (tests/loopback.py): plain HTTP for ``awsBedrockEndpoint``, TLS for
the regional ``bedrock-runtime.*.amazonaws.com``. Event-stream bodies are built with ``frame()``
(the AWS event-stream encoding: prelude, CRC32s, string headers). ``verify_sigv4`` re-derives a
request's SigV4 signature with botocore from the recorded headers.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import loopback
from loopback import Seen, Upstream

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
class Reply(loopback.Reply):
    """An event-stream reply unless said otherwise."""

    headers: dict[str, str] = field(default_factory=lambda: dict(EVENT_STREAM))

    @classmethod
    def error(cls, status: int, error_type: str, message: str) -> Reply:
        headers = {
            "content-type": "application/json",
            "x-amzn-requestid": "rid-error",
            "x-amzn-errortype": f"{error_type}:http://internal.amazon.com/coral/com.amazon.bedrock/",
        }
        return cls(status, headers, [json.dumps({"message": message}).encode()])

    @classmethod
    def json(cls, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        return super().json(body, status, {"x-amzn-requestid": "rid-json", **(headers or {})})


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


def verify_sigv4(seen: Seen, access_key: str, secret_key: str, token: str | None = None) -> str:
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
        url=f"https://{seen.headers['host']}{seen.path}",  # the signed host, the path as sent
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
