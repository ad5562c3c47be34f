"""Callers' keys (ours): ``Authorization: Bearer <key>`` or ``x-api-key: <key>``, compared as
SHA-256 digests with ``hmac.compare_digest`` against every configured key (no early exit, so the
time taken does not say which key came close). A gateway without ``[[keys]]`` is open (and then
serves loopback only, ``config.check_exposure``)."""

from __future__ import annotations

import hashlib
import hmac

from aiohttp import web

from .config import KeySpec
from .errors import HttpProblem, request_log
from .state import STATE


def presented_key(request: web.Request) -> str | None:
    """The key the request carries: the bearer token, else ``x-api-key``."""
    authorization = request.headers.get("Authorization")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    key = request.headers.get("x-api-key")
    return key.strip() if key and key.strip() else None


def authenticate(request: web.Request) -> KeySpec | None:
    """The caller's key spec (None for an open gateway); 401 when missing or wrong. The key id
    goes on the request for the access log."""
    keys = request.app[STATE].keys
    if not keys:
        return None
    presented = presented_key(request)
    if presented is None:
        raise HttpProblem(
            401, "missing API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'",
            "authentication_error", code="invalid_api_key",
        )
    digest = hashlib.sha256(presented.encode()).digest()
    found: KeySpec | None = None
    for key in keys:
        if hmac.compare_digest(digest, key.digest):
            found = key
    if found is None:
        raise HttpProblem(401, "invalid API key", "authentication_error", code="invalid_api_key")
    request_log().key_id = found.id
    return found
