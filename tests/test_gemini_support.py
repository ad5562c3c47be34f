"""Gemini / Vertex / google-auth helpers for the Gemini tests (no tests of its own).

The upstream is conftest.py's (tests/loopback.py): plain HTTP for ``googleGeminiBaseUrl``, TLS for
the hosts the reference hard-codes (``oauth2.googleapis.com``, ``*-aiplatform.googleapis.com``, …).
Here: Google's reply formats and a check of the JWT in a token request.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import loopback
from loopback import sample_service_account


class Reply(loopback.Reply):
    @classmethod
    def json(cls, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        return super().json(body, status, {"content-type": "application/json; charset=UTF-8", **(headers or {})})

    @classmethod
    def sse(cls, *events: Any) -> Reply:
        chunks = [f"data: {json.dumps(e)}\r\n\r\n".encode() for e in events]
        return cls(200, {"content-type": "text/event-stream"}, chunks)


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
