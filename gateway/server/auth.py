"""Callers' keys (ours): ``Authorization: Bearer <key>`` or ``x-api-key: <key>``, compared as
SHA-256 digests with ``hmac.compare_digest`` against every configured key (no early exit, so the
time taken does not say which key came close). A gateway without ``[[keys]]`` is open (and then
serves loopback only, ``config.check_exposure``). ``admit`` adds the key's limiter (the port's
``AdaptiveLimiter``, one per key): a request waits up to its ``max_wait_s`` for a turn, else 429."""

from __future__ import annotations

import hashlib
import hmac
import math

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


async def admit(request: web.Request) -> KeySpec | None:
    """``authenticate``, then the key's limiter: 429 with ``retry-after`` when the request's
    turn would come later than the limiter's ``max_wait_s``. What every API endpoint calls."""
    key = authenticate(request)
    limiter = request.app[STATE].limiters.get(key.id) if key is not None else None
    if key is not None and limiter is not None and not await limiter.acquire(max_wait_s=limiter.max_wait_s):
        per_minute = limiter.stats().rate_per_minute
        raise HttpProblem(
            429, f"rate limit of key {key.id!r} reached ({per_minute:g} requests per minute)",
            "rate_limit_error", code="rate_limit_exceeded",
            headers={"retry-after": str(max(1, math.ceil(60 / per_minute)))},
        )
    return key
