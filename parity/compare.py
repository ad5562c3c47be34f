"""Comparator: a port transcript against a recorded golden.

Implements the rules of FORMAT.md, "What parity means" (requests, headers, retry timing, chunks,
result, error). The windows of rule 3 follow the SDKs behind the goldens: openai-node 5.12.2
``client.js`` (``shouldRetry``, ``retryRequest``, ``calculateDefaultRetryTimeoutMillis``),
@anthropic-ai/sdk 0.37.0 ``core.js`` (the same three), @smithy/util-retry 4.2.4
``StandardRetryStrategy`` with @smithy/middleware-retry's ``getRetryAfterHint`` and
@smithy/service-error-classification. Nothing here imports the port.

Readings of the rules where FORMAT.md leaves room:
- A retry is a request whose previous request with the same method, url and original_url got
  a status the SDK retries (its upstream entry); n counts along that chain. Only the
  transcript's ``t_ms`` are timed; serving time is ``t_end_ms - t_ms`` or estimated.
- A ``retry-after`` HTTP date can only be judged against the comparison's clock, not the
  run's: the window is then [0, 60 s] unless the date is 60 s or more away even now.
- AWS: middleware-retry turns a numeric ``retry-after`` into an epoch date, so the SDK ends up
  with its backoff; FORMAT.md says "the larger of it and the backoff". The window admits both.
- Token requests: the JWT's header segment, claim names and order, and every claim but
  iat/exp must be equal, exp - iat too, the claims serialised compactly, and RS256 must verify
  with the scenario's key. content-length stays compared exactly: iat/exp are 10-digit Unix
  seconds (2001 to 2286), so the form's length does not depend on them.
- SigV4: the signature is recomputed with botocore over the headers named in SignedHeaders; a
  signed ``{{BASE_HOST}}`` (the transcript no longer holds the fixture port) is resolved by
  trying every 127.0.0.1 port. SignedHeaders are compared with ``:authority`` read as ``host``.
- Chunks, result and error fields compare as JavaScript values (1 == 1.0, so equal to the last
  bit for non-zero doubles); request bodies compare as JSON text, so key order and 1 vs 1.0 count.
"""

from __future__ import annotations

import base64
import difflib
import email.utils
import hashlib
import hmac
import itertools
import json
import math
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

CATEGORIES = ("requests", "headers", "body", "timing", "chunks", "result", "error")

# Rule 2: header classes.
VOLATILE_HEADERS = frozenset({"x-amz-date", "amz-sdk-invocation-id"})
PLATFORM_HEADERS = frozenset(
    {"x-stainless-os", "x-stainless-arch", "x-stainless-runtime", "x-stainless-runtime-version"}
)
TRANSPORT_HEADERS = frozenset({"host", "connection", "content-length"})
TOKENISED_HEADERS = frozenset({"user-agent", "x-amz-user-agent", "x-goog-api-client"})
AWS_PLATFORM_TOKEN_PREFIXES = ("os/", "lang/", "md/")
GL_TOKEN_PREFIX = "gl-node/"
GL_TOKEN_ALTERNATIVES = ("gl-node/", "gl-python/")
SIGV4_ALGORITHM = "AWS4-HMAC-SHA256"
SIGV4_SERVICE = "bedrock"
BASE_HOST = "{{BASE_HOST}}"
FIXTURE_HOST = "127.0.0.1"

# Rule 3: retry timing.
SLACK_BELOW_MS = 5.0
SLACK_ABOVE_MS = 50.0
DEFAULT_CHUNK_DELAY_MS = 2.0
RETRY_FAMILY = {
    "openai": "stainless",
    "azure": "stainless",
    "openrouter": "stainless",
    "xai": "stainless",
    "anthropic": "stainless",
    "anthropic-vertex": "stainless",
    "bedrock": "aws",
    "gemini": None,
    "vertex": None,
}
STAINLESS_INITIAL_RETRY_DELAY_MS = 500.0
STAINLESS_MAX_RETRY_DELAY_MS = 8000.0
STAINLESS_MAX_RETRY_AFTER_MS = 60_000.0
AWS_DEFAULT_RETRY_DELAY_BASE_MS = 100.0
AWS_THROTTLING_RETRY_DELAY_BASE_MS = 500.0
AWS_MAXIMUM_RETRY_DELAY_MS = 20_000.0
AWS_THROTTLING_ERROR_CODES = frozenset(
    {
        "BandwidthLimitExceeded",
        "EC2ThrottledException",
        "LimitExceededException",
        "PriorRequestNotComplete",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ThrottledException",
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "TransactionInProgressException",
    }
)
AWS_TRANSIENT_ERROR_CODES = frozenset(
    {"AbortError", "TimeoutError", "RequestTimeout", "RequestTimeoutException"}
)
AWS_TRANSIENT_ERROR_STATUS_CODES = frozenset({500, 502, 503, 504})

# Rule 6: the error props compared where the golden has them.
ERROR_PROPS = ("status", "error", "code")


@dataclass
class Mismatch:
    """One way a transcript differs from its golden."""

    category: str
    where: str
    expected: Any
    actual: Any
    detail: str


def compare(golden: dict, transcript: dict, scenario: dict) -> list[Mismatch]:
    """Every mismatch between ``transcript`` and ``golden`` under the FORMAT.md rules."""
    out: list[Mismatch] = []
    _compare_requests(golden.get("requests") or [], transcript.get("requests") or [], scenario, out)
    _compare_timing(transcript.get("requests") or [], scenario, out)
    _compare_chunks(golden.get("chunks") or [], transcript.get("chunks") or [], out)
    if not _js_equal(golden.get("result"), transcript.get("result")):
        out.append(
            Mismatch("result", "result", golden.get("result"), transcript.get("result"), "result differs")
        )
    _compare_error(golden.get("error"), transcript.get("error"), out)
    return out


def format_mismatch(m: Mismatch) -> str:
    """A readable account of ``m``: a unified diff for structures, expected/actual lines for scalars."""
    head = f"[{m.category}] {m.where}: {m.detail}"
    if isinstance(m.expected, (dict, list)) or isinstance(m.actual, (dict, list)):
        sort = m.category in ("chunks", "error", "result")
        expected = _pretty(m.expected, sort).splitlines()
        actual = _pretty(m.actual, sort).splitlines()
        diff = list(difflib.unified_diff(expected, actual, "expected", "actual", lineterm=""))
        if diff:
            return head + "\n" + "\n".join(diff)
    return f"{head}\n  expected: {_scalar(m.expected)}\n  actual:   {_scalar(m.actual)}"


# ---------------------------------------------------------------------------------------------
# Rule 1 and 2: requests, bodies, headers


def _compare_requests(g_reqs: list, t_reqs: list, scenario: dict, out: list[Mismatch]) -> None:
    """Pair requests by upstream entry and arrival order, then compare each pair."""
    if len(g_reqs) != len(t_reqs):
        out.append(
            Mismatch(
                "requests",
                "requests",
                [_summary(r) for r in g_reqs],
                [_summary(r) for r in t_reqs],
                f"{len(g_reqs)} requests expected, {len(t_reqs)} received",
            )
        )
    t_groups: dict[Any, list[int]] = {}
    for ti, r in enumerate(t_reqs):
        t_groups.setdefault(r.get("upstream_index"), []).append(ti)
    seen: dict[Any, int] = {}
    pairs: list[tuple[int, int]] = []
    for gi, r in enumerate(g_reqs):
        key = r.get("upstream_index")
        k = seen.get(key, 0)
        seen[key] = k + 1
        group = t_groups.get(key, [])
        if k < len(group):
            pairs.append((gi, group[k]))
        else:
            out.append(Mismatch("requests", _where(gi, r), _summary(r), None, "request not sent"))
    paired_t = {ti for _, ti in pairs}
    for ti, r in enumerate(t_reqs):
        if ti not in paired_t:
            out.append(
                Mismatch("requests", f"transcript requests[{ti}]", None, _summary(r), "unexpected request")
            )
    _compare_order(g_reqs, t_reqs, pairs, scenario, out)
    for gi, ti in pairs:
        g, t = g_reqs[gi], t_reqs[ti]
        where = _where(gi, g)
        for field in ("method", "url", "original_url"):
            if g.get(field) != t.get(field):
                out.append(
                    Mismatch("requests", f"{where} {field}", g.get(field), t.get(field), f"{field} differs")
                )
        _compare_body(g, t, scenario, where, out)
        _compare_headers(g, t, scenario, where, out)


def _compare_order(g_reqs: list, t_reqs: list, pairs: list, scenario: dict, out: list[Mismatch]) -> None:
    """The overall order must hold, except between two requests both served by ``match`` entries."""
    t_pos = {gi: ti for gi, ti in pairs}
    paired = sorted(t_pos)
    for a_i, a in enumerate(paired):
        for b in paired[a_i + 1 :]:
            if t_pos[a] < t_pos[b]:
                continue
            if _served_by_match(g_reqs[a], scenario) and _served_by_match(g_reqs[b], scenario):
                continue
            out.append(
                Mismatch(
                    "requests",
                    "requests order",
                    [_summary(g_reqs[gi]) for gi in paired],
                    [_summary(t_reqs[t_pos[gi]]) for gi in sorted(paired, key=t_pos.__getitem__)],
                    f"{_where(b, g_reqs[b])} arrived before {_where(a, g_reqs[a])}",
                )
            )
            return


def _served_by_match(req: dict, scenario: dict) -> bool:
    """Whether the upstream entry that served ``req`` has a ``match`` (so ran concurrently)."""
    return "match" in _upstream_entry(scenario, req.get("upstream_index"))


def _compare_body(g: dict, t: dict, scenario: dict, where: str, out: list[Mismatch]) -> None:
    """Body equal including key order (JWT assertion excepted) and content-length equal."""
    gb, tb = g.get("body"), t.get("body")
    if isinstance(gb, dict) and _form_has_assertion(gb):
        _compare_token_form(gb, tb, scenario, where, out)
    elif _ordered_text(gb) != _ordered_text(tb):
        same_content = _js_equal(gb, tb)
        detail = "body has the same content in a different key order" if same_content else "body differs"
        out.append(Mismatch("body", f"{where} body", gb, tb, detail))
    g_len = _headers(g).get("content-length")
    t_len = _headers(t).get("content-length")
    if g_len != t_len:
        out.append(
            Mismatch(
                "body",
                f"{where} content-length",
                g_len,
                t_len,
                "content-length differs (serialised bytes differ)",
            )
        )


def _compare_headers(g: dict, t: dict, scenario: dict, where: str, out: list[Mismatch]) -> None:
    """Same names and values, except volatile, platform and transport headers (rule 2)."""
    gh, th = _comparable_headers(_headers(g)), _comparable_headers(_headers(t))
    for name, value in gh.items():
        if name not in th:
            out.append(Mismatch("headers", f"{where} header {name}", value, None, "header missing"))
    for name, value in th.items():
        if name not in gh:
            out.append(Mismatch("headers", f"{where} header {name}", None, value, "unexpected header"))
    for name, expected in gh.items():
        if name not in th or name in VOLATILE_HEADERS or name in PLATFORM_HEADERS:
            continue
        actual = th[name]
        if name == "authorization" and expected.startswith(SIGV4_ALGORITHM + " "):
            _compare_sigv4(g, t, scenario, where, out)
        elif name in TOKENISED_HEADERS:
            problem = _token_problem(expected, actual)
            if problem:
                out.append(Mismatch("headers", f"{where} header {name}", expected, actual, problem))
        elif expected != actual:
            out.append(
                Mismatch("headers", f"{where} header {name}", expected, actual, "header value differs")
            )


def _comparable_headers(headers: dict) -> dict:
    """Headers without transport ones and HTTP/2 pseudo-headers (compared elsewhere or not at all)."""
    return {n: v for n, v in headers.items() if n not in TRANSPORT_HEADERS and not n.startswith(":")}


def _token_problem(expected: str, actual: str) -> str | None:
    """Compare a user-agent-like header token by token, platform tokens by prefix only."""
    e_tokens, a_tokens = expected.split(" "), actual.split(" ")
    aws = expected.startswith("aws-sdk-js/")
    if len(e_tokens) != len(a_tokens):
        return f"{len(e_tokens)} tokens expected, {len(a_tokens)} received"
    for i, (e, a) in enumerate(zip(e_tokens, a_tokens, strict=True)):
        prefix = next((p for p in AWS_PLATFORM_TOKEN_PREFIXES if aws and e.startswith(p)), None)
        if prefix is not None:
            if not a.startswith(prefix):
                return f"token {i}: platform token {prefix}… expected, got {a!r}"
        elif e.startswith(GL_TOKEN_PREFIX):
            if not a.startswith(GL_TOKEN_ALTERNATIVES):
                return f"token {i}: gl-node/… or gl-python/… expected, got {a!r}"
        elif e != a:
            return f"token {i}: {e!r} expected, got {a!r}"
    return None


# ---------------------------------------------------------------------------------------------
# Google token request: the JWT assertion (rule 1's exception)


def _form_has_assertion(body: Any) -> bool:
    """Whether ``body`` is a form body carrying a JWT ``assertion``."""
    return (
        isinstance(body, dict)
        and isinstance(body.get("raw"), str)
        and any(name == "assertion" for name, _ in _form_pairs(body["raw"]))
    )


def _form_pairs(raw: str) -> list[tuple[str, str]]:
    """The ``name=value`` pairs of a form body, in order, values still percent-encoded."""
    return [(p.partition("=")[0], p.partition("=")[2]) for p in raw.split("&")] if raw else []


def _compare_token_form(gb: dict, tb: Any, scenario: dict, where: str, out: list[Mismatch]) -> None:
    """Form fields equal except the assertion, whose claims (but iat/exp) and signature are checked."""
    if not (isinstance(tb, dict) and isinstance(tb.get("raw"), str)):
        out.append(Mismatch("body", f"{where} body", gb, tb, "form body with a JWT assertion expected"))
        return
    g_pairs, t_pairs = _form_pairs(gb["raw"]), _form_pairs(tb["raw"])
    g_names, t_names = [n for n, _ in g_pairs], [n for n, _ in t_pairs]
    if g_names != t_names:
        out.append(Mismatch("body", f"{where} body", g_names, t_names, "form fields differ (names or order)"))
        return
    for (name, g_value), (_, t_value) in zip(g_pairs, t_pairs, strict=True):
        if name == "assertion":
            problem = _assertion_problem(g_value, t_value, scenario)
            if problem:
                out.append(Mismatch("body", f"{where} body assertion", g_value, t_value, problem))
        elif g_value != t_value:
            out.append(Mismatch("body", f"{where} body field {name}", g_value, t_value, "form field differs"))


def _assertion_problem(g_jwt: str, t_jwt: str, scenario: dict) -> str | None:
    """Why the transcript's JWT does not match the golden's (claims but iat/exp, bytes, RS256), or None."""
    g_parts, t_parts = g_jwt.split("."), t_jwt.split(".")
    if len(t_parts) != 3:
        return "the assertion is not a compact JWS (three dot-separated parts)"
    if t_parts[0] != g_parts[0]:
        return f"JWT header differs: {_b64url_text(g_parts[0])!r} expected, got {_b64url_text(t_parts[0])!r}"
    try:
        g_claims = json.loads(_b64url_decode(g_parts[1]))
        t_claims = json.loads(_b64url_decode(t_parts[1]))
    except ValueError as exc:
        return f"JWT claims are not JSON: {exc}"
    if list(g_claims) != list(t_claims):
        return f"JWT claim names differ: {list(g_claims)} expected, got {list(t_claims)}"
    for name in g_claims:
        if name not in ("iat", "exp") and not _js_equal(g_claims[name], t_claims[name]):
            return f"JWT claim {name} differs: {g_claims[name]!r} expected, got {t_claims[name]!r}"
    if "iat" in g_claims and "exp" in g_claims:
        if not all(
            isinstance(t_claims[n], int) and not isinstance(t_claims[n], bool) for n in ("iat", "exp")
        ):
            return "JWT iat/exp are not integers"
        if t_claims["exp"] - t_claims["iat"] != g_claims["exp"] - g_claims["iat"]:
            return (
                f"JWT lifetime exp - iat differs: {g_claims['exp'] - g_claims['iat']} expected, "
                f"got {t_claims['exp'] - t_claims['iat']}"
            )
    expected_claims = {n: t_claims[n] if n in ("iat", "exp") else v for n, v in g_claims.items()}
    if _b64url_encode(_js_dumps(expected_claims).encode()) != t_parts[1]:
        return "JWT claims are not serialised as the reference does (compact JSON, unpadded base64url)"
    key_pem = _service_account_key(scenario)
    if key_pem is None:
        return "no service account key in the scenario to verify the JWT signature with"
    if not _rs256_verifies(key_pem, f"{t_parts[0]}.{t_parts[1]}".encode(), t_parts[2]):
        return "JWT RS256 signature does not verify with the service account's key"
    return None


def _service_account_key(scenario: dict) -> str | None:
    """The PEM private key of the scenario's service account (settings.vertexJsonCredentials)."""
    settings = scenario.get("settings") or {}
    raw = settings.get("vertexJsonCredentials")
    if not raw and settings.get("vertexKeyFile"):
        with open(settings["vertexKeyFile"], encoding="utf-8") as f:
            raw = f.read()
    if not raw:
        return None
    return json.loads(raw).get("private_key")


@lru_cache(maxsize=8)
def _public_key(key_pem: str) -> Any:
    """The RSA public key of a PEM private key."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    return load_pem_private_key(key_pem.encode(), password=None).public_key()


def _rs256_verifies(key_pem: str, signing_input: bytes, signature_b64: str) -> bool:
    """Whether ``signature_b64`` is a valid RS256 signature of ``signing_input``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.hashes import SHA256

    try:
        _public_key(key_pem).verify(
            _b64url_decode(signature_b64), signing_input, padding.PKCS1v15(), SHA256()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def _b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _b64url_text(segment: str) -> str:
    try:
        return _b64url_decode(segment).decode("utf-8", "replace")
    except ValueError:
        return segment


# ---------------------------------------------------------------------------------------------
# SigV4 (rule 2: the authorization must verify for the request as sent)

_SIGV4_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<akid>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)"
    r"/aws4_request, ?SignedHeaders=(?P<signed>[^, ]+), ?Signature=(?P<signature>[0-9a-f]{64})$"
)


def _compare_sigv4(g: dict, t: dict, scenario: dict, where: str, out: list[Mismatch]) -> None:
    """Same key, region, service and signed headers (``:authority`` = ``host``); signature verifies."""
    g_auth, t_auth = _headers(g)["authorization"], _headers(t)["authorization"]
    gm, tm = _SIGV4_RE.match(g_auth), _SIGV4_RE.match(t_auth)
    w = f"{where} header authorization"
    if tm is None:
        out.append(Mismatch("headers", w, g_auth, t_auth, "not a SigV4 authorization header"))
        return
    if gm is not None:
        for part in ("akid", "region", "service"):
            if gm[part] != tm[part]:
                out.append(
                    Mismatch("headers", w, gm[part], tm[part], f"SigV4 credential scope {part} differs")
                )
        g_signed, t_signed = _h1_signed_headers(gm["signed"]), _h1_signed_headers(tm["signed"])
        if g_signed != t_signed:
            out.append(Mismatch("headers", w, g_signed, t_signed, "SigV4 SignedHeaders differ"))
    problem = _sigv4_problem(t, scenario.get("settings") or {}, tm)
    if problem:
        out.append(Mismatch("headers", w, None, t_auth, problem))


def _h1_signed_headers(signed: str) -> list[str]:
    """SignedHeaders as HTTP/1.1 would sign them: ``:authority`` becomes ``host``."""
    return sorted("host" if n == ":authority" else n for n in signed.split(";"))


def _sigv4_problem(req: dict, settings: dict, auth: re.Match[str]) -> str | None:
    """Why ``req``'s SigV4 signature does not verify with the scenario's credentials, or None.

    The canonical request is botocore's (SigV4Auth.canonical_request) over exactly the headers
    named in SignedHeaders. A host recorded as ``{{BASE_HOST}}`` (the fixture origin, whose port
    the transcript no longer holds) is recovered by trying every port of 127.0.0.1.
    """
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest, HTTPHeaders
    from botocore.credentials import Credentials

    headers = _headers(req)
    amz_date = headers.get("x-amz-date", "")
    if amz_date[:8] != auth["date"]:
        return f"SigV4 credential date {auth['date']} does not match x-amz-date {amz_date!r}"
    access_key, secret = settings.get("awsAccessKey"), settings.get("awsSecretKey")
    region = settings.get("awsRegion") or "us-east-1"
    if not access_key or not secret:
        return "no AWS access key and secret in the scenario to verify the SigV4 signature with"
    if auth["akid"] != access_key or auth["region"] != region or auth["service"] != SIGV4_SERVICE:
        return f"SigV4 credential scope is not {access_key}/…/{region}/{SIGV4_SERVICE}"
    body = _request_body_bytes(req.get("body"))
    payload_hash = headers.get("x-amz-content-sha256")
    if payload_hash is not None and payload_hash != hashlib.sha256(body).hexdigest():
        return "x-amz-content-sha256 is not the SHA-256 of the body (re-serialised compactly)"
    signed = auth["signed"].split(";")
    values: dict[str, str] = {}
    for name in signed:
        value = headers.get(name)
        if value is None and name == "host":
            value = headers.get(":authority")
        if value is None:
            return f"signed header {name} is not in the request"
        values[name] = value

    class _Signer(SigV4Auth):  # type: ignore[misc]
        def headers_to_sign(self, request: Any) -> Any:
            to_sign = HTTPHeaders()
            for name in signed:
                to_sign[name] = request.headers[name]
            return to_sign

    credentials = Credentials(access_key, secret, settings.get("awsSessionToken"))
    signer = _Signer(credentials, SIGV4_SERVICE, region)

    def aws_request(host: str) -> Any:
        hdrs = {n: v.replace(BASE_HOST, host) for n, v in values.items()}
        url = "http://" + (host or "localhost") + req["url"]
        aws_req = AWSRequest(method=req["method"], url=url, headers=hdrs, data=body)
        aws_req.context["timestamp"] = amz_date
        return aws_req

    def verifies(host: str) -> bool:
        aws_req = aws_request(host)
        string_to_sign = signer.string_to_sign(aws_req, signer.canonical_request(aws_req))
        return hmac.compare_digest(str(signer.signature(string_to_sign, aws_req)), auth["signature"])

    if not any(BASE_HOST in v for v in values.values()):
        return None if verifies("") else "SigV4 signature does not verify with the scenario's credentials"
    marked = aws_request(_HOST_MARKER)
    canonical = signer.canonical_request(marked)
    scope = signer.credential_scope(marked)
    port = _find_fixture_port(canonical, scope, amz_date, region, secret, auth["signature"])
    if port is None or not verifies(f"{FIXTURE_HOST}:{port}"):
        return "SigV4 signature does not verify with the scenario's credentials for any 127.0.0.1 port"
    return None


_HOST_MARKER = "parity-host-marker.invalid"
_EPHEMERAL_PORTS = range(32768, 61000)  # Linux's default ephemeral range first: where servers on port 0 land
_OTHER_PORTS = (*range(1, 32768), *range(61000, 65536))
_last_port: list[int] = []


def _find_fixture_port(
    canonical: str, scope: str, amz_date: str, region: str, secret: str, signature: str
) -> int | None:
    """The 127.0.0.1 port that, put in place of the marker host, makes ``signature`` verify.

    A fast scan of the same SigV4 arithmetic botocore does (HMAC chain for the key, SHA-256 of
    the canonical request, HMAC of the string to sign); the caller confirms the hit via botocore.
    """
    key = ("AWS4" + secret).encode()
    for part in (amz_date[:8], region, SIGV4_SERVICE, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    head, _, tail = canonical.partition(_HOST_MARKER)
    if _HOST_MARKER in tail:
        return None
    prefix = hashlib.sha256(f"{head}{FIXTURE_HOST}:".encode())
    sts_prefix = f"{SIGV4_ALGORITHM}\n{amz_date}\n{scope}\n".encode()
    tail_bytes = tail.encode()
    for port in itertools.chain(_last_port, _EPHEMERAL_PORTS, _OTHER_PORTS):
        digest = prefix.copy()
        digest.update(str(port).encode() + tail_bytes)
        sts = sts_prefix + digest.hexdigest().encode()
        if hmac.new(key, sts, hashlib.sha256).hexdigest() == signature:
            _last_port[:] = [port]
            return port
    return None


def _request_body_bytes(body: Any) -> bytes:
    """The bytes a recorded body stood for: raw text, base64, or JSON re-serialised as JSON.stringify."""
    if isinstance(body, dict) and set(body) == {"raw"} and isinstance(body["raw"], str):
        return body["raw"].encode()
    if isinstance(body, dict) and set(body) == {"raw_b64"}:
        return base64.b64decode(body["raw_b64"])
    return _js_dumps(body).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Rule 3: retry timing


def _compare_timing(t_reqs: list, scenario: dict, out: list[Mismatch]) -> None:
    """Each retry's gap since the request it retries lies in the SDK's window (widened, with slack)."""
    family = RETRY_FAMILY.get(scenario.get("provider", ""))
    if family is None:
        return
    last: dict[tuple, int] = {}
    retry_number: dict[int, int] = {}
    for ti, req in enumerate(t_reqs):
        key = (req.get("method"), req.get("url"), req.get("original_url"))
        prev_i = last.get(key)
        last[key] = ti
        if prev_i is None:
            continue
        prev = t_reqs[prev_i]
        entry = _upstream_entry(scenario, prev.get("upstream_index"))
        if not _retryable(family, entry) or req.get("t_ms") is None or prev.get("t_ms") is None:
            continue
        n = retry_number.get(prev_i, 0) + 1
        retry_number[ti] = n
        low, high, why = _retry_window(family, entry, n)
        serving = _serving_ms(prev, entry)
        gap = float(req["t_ms"]) - float(prev["t_ms"])
        lo, hi = low - SLACK_BELOW_MS, high + serving + SLACK_ABOVE_MS
        if not lo <= gap <= hi:
            out.append(
                Mismatch(
                    "timing",
                    f"requests[{ti}] {req.get('method')} {req.get('url')} (retry {n})",
                    f"[{lo:.1f}, {hi:.1f}] ms",
                    f"{gap:.1f} ms",
                    f"retry {n} came {gap:.1f} ms after requests[{prev_i}] (status {entry.get('status')}); "
                    f"window {why} = [{low:.1f}, {high:.1f}] ms, widened by the response's serving time "
                    f"{serving:.1f} ms, slack -{SLACK_BELOW_MS:g}/+{SLACK_ABOVE_MS:g} ms",
                )
            )


def _retryable(family: str, entry: dict) -> bool:
    """Whether the SDK family retries after the response of ``entry``."""
    status = int(entry.get("status", 0))
    if 200 <= status < 300:
        return False
    if family == "stainless":
        should = _header(entry, "x-should-retry")
        if should == "true":
            return True
        if should == "false":
            return False
        return status in (408, 409, 429) or status >= 500
    code = _aws_error_code(entry)
    return (
        _aws_throttling(status, code)
        or code in AWS_TRANSIENT_ERROR_CODES
        or status in AWS_TRANSIENT_ERROR_STATUS_CODES
    )


def _retry_window(family: str, entry: dict, n: int) -> tuple[float, float, str]:
    """The [low, high] ms the SDK may sleep before retry ``n`` after ``entry``'s response."""
    if family == "stainless":
        return _stainless_window(entry, n)
    return _aws_window(entry, n)


def _stainless_window(entry: dict, n: int) -> tuple[float, float, str]:
    """openai-node / @anthropic-ai/sdk ``retryRequest`` and ``calculateDefaultRetryTimeoutMillis``."""
    base = min(STAINLESS_INITIAL_RETRY_DELAY_MS * 2 ** (n - 1), STAINLESS_MAX_RETRY_DELAY_MS)
    timeout: float | None = None
    source = ""
    retry_after_ms = _header(entry, "retry-after-ms")
    if retry_after_ms:
        value = _parse_float(retry_after_ms)
        if not math.isnan(value):
            timeout, source = value, f"retry-after-ms {retry_after_ms!r}"
    retry_after = _header(entry, "retry-after")
    if retry_after and not timeout:
        value = _parse_float(retry_after)
        if not math.isnan(value):
            timeout, source = value * 1000, f"retry-after {retry_after!r}"
        else:
            date_ms = _http_date_ms(retry_after)
            if date_ms is not None:
                # The SDK took date - now at its decision, which came before this comparison.
                if date_ms - time.time() * 1000 >= STAINLESS_MAX_RETRY_AFTER_MS:
                    return 0.75 * base, base, f"backoff (retry-after {retry_after!r} is 60 s or more away)"
                return (
                    0.0,
                    max(base, STAINLESS_MAX_RETRY_AFTER_MS),
                    f"retry-after date {retry_after!r} (generous)",
                )
    if timeout and 0 <= timeout < STAINLESS_MAX_RETRY_AFTER_MS:
        return timeout, timeout, source
    return 0.75 * base, base, f"backoff min(500·2^{n - 1}, 8000)·(1 − 0.25·U)"


def _aws_window(entry: dict, n: int) -> tuple[float, float, str]:
    """@smithy/util-retry StandardRetryStrategy: floor(min(20000, U·2^(n-1)·base)), retry-after hint."""
    throttling = _aws_throttling(int(entry.get("status", 0)), _aws_error_code(entry))
    base = AWS_THROTTLING_RETRY_DELAY_BASE_MS if throttling else AWS_DEFAULT_RETRY_DELAY_BASE_MS
    cap = min(AWS_MAXIMUM_RETRY_DELAY_MS, 2 ** (n - 1) * base)
    why = f"backoff floor(min(20000, U·2^{n - 1}·{base:g}))"
    retry_after = _header(entry, "retry-after")
    if retry_after:
        value = _parse_float(retry_after) if retry_after.strip() else math.nan
        if not math.isnan(value):
            # FORMAT.md: the larger of it and the backoff. (middleware-retry reads a number as an
            # epoch date, so the SDK itself ends up with the backoff; the window admits both.)
            return (
                0.0,
                min(AWS_MAXIMUM_RETRY_DELAY_MS, max(cap, value * 1000)),
                why + f" or retry-after {retry_after}",
            )
        if _http_date_ms(retry_after) is not None:
            return 0.0, AWS_MAXIMUM_RETRY_DELAY_MS, why + f" or retry-after date {retry_after!r} (generous)"
    return 0.0, cap, why


def _aws_error_code(entry: dict) -> str:
    """The AWS error code of an upstream entry: x-amzn-errortype, else the body's __type/code."""
    errortype = _header(entry, "x-amzn-errortype")
    if errortype:
        return errortype.split(":", 1)[0]
    try:
        body = json.loads("".join(entry.get("body_chunks") or []) or "null")
    except ValueError:
        return ""
    if isinstance(body, dict):
        code = body.get("__type") or body.get("code") or ""
        return str(code).rsplit("#", 1)[-1]
    return ""


def _aws_throttling(status: int, code: str) -> bool:
    """service-error-classification isThrottlingError for a response."""
    return status == 429 or code in AWS_THROTTLING_ERROR_CODES


def _serving_ms(req: dict, entry: dict) -> float:
    """How long the fixture server took to serve ``req``'s response (recorded, else estimated)."""
    if req.get("t_end_ms") is not None:
        return max(0.0, float(req["t_end_ms"]) - float(req["t_ms"]))
    chunks = len(entry.get("body_chunks") or entry.get("body_chunks_b64") or [])
    if entry.get("destroy_after_chunks") is not None:
        chunks = min(chunks, int(entry["destroy_after_chunks"]))
    serving = float(entry.get("headers_delay_ms", 0)) + float(entry.get("end_delay_ms", 0))
    if chunks:
        serving += float(entry.get("first_chunk_delay_ms", 0))
        serving += float(entry.get("delay_ms", DEFAULT_CHUNK_DELAY_MS)) * (chunks - 1)
    return serving


_PARSE_FLOAT_RE = re.compile(
    r"^[\t\n\v\f\r \u00a0\ufeff]*([+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))"
)


def _parse_float(text: str) -> float:
    """JavaScript ``parseFloat``: the longest numeric prefix, NaN when there is none."""
    m = _PARSE_FLOAT_RE.match(text)
    if not m:
        return math.nan
    literal = m.group(1)
    if literal.lstrip("+-") == "Infinity":
        return -math.inf if literal.startswith("-") else math.inf
    return float(literal)


def _http_date_ms(text: str) -> float | None:
    """An HTTP date as epoch milliseconds, or None when it is not one."""
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.timestamp() * 1000 if parsed is not None else None


# ---------------------------------------------------------------------------------------------
# Rules 4 to 6: chunks, result, error


def _compare_chunks(g_chunks: list, t_chunks: list, out: list[Mismatch]) -> None:
    """The same chunk list: types, keys and values equal (key order inside a chunk not compared)."""
    if _js_equal(g_chunks, t_chunks):
        return
    first = next(
        (i for i, (g, t) in enumerate(zip(g_chunks, t_chunks, strict=False)) if not _js_equal(g, t)),
        min(len(g_chunks), len(t_chunks)),
    )
    out.append(
        Mismatch(
            "chunks",
            f"chunks[{first}]",
            g_chunks,
            t_chunks,
            f"{len(g_chunks)} chunks expected, {len(t_chunks)} yielded; first difference at index {first}",
        )
    )


def _compare_error(g_err: dict | None, t_err: dict | None, out: list[Mismatch]) -> None:
    """name, message, status, after_chunks; props status/error/code where the golden has them."""
    if g_err is None and t_err is None:
        return
    if g_err is None or t_err is None:
        detail = "an error was raised, none expected" if g_err is None else "no error raised, one expected"
        out.append(Mismatch("error", "error", g_err, t_err, detail))
        return
    for field in ("name", "message", "status", "after_chunks"):
        if not _js_equal(g_err.get(field), t_err.get(field)):
            out.append(
                Mismatch(
                    "error", f"error.{field}", g_err.get(field), t_err.get(field), f"error {field} differs"
                )
            )
    g_props, t_props = g_err.get("props") or {}, t_err.get("props") or {}
    for prop in ERROR_PROPS:
        if prop in g_props and not _js_equal(g_props[prop], t_props.get(prop)):
            out.append(
                Mismatch(
                    "error", f"error.props.{prop}", g_props[prop], t_props.get(prop), f"error {prop} differs"
                )
            )
    if "error_name_property" in g_err:
        actual = t_err.get("error_name_property", t_err.get("name_attribute", t_err.get("name")))
        if actual != g_err["error_name_property"]:
            out.append(
                Mismatch(
                    "error",
                    "error.error_name_property",
                    g_err["error_name_property"],
                    actual,
                    "error name property (JS err.name) differs",
                )
            )


# ---------------------------------------------------------------------------------------------
# Helpers


def _headers(req: dict) -> dict:
    return req.get("headers") or {}


def _header(entry: dict, name: str) -> str | None:
    """A response header of an upstream entry, by case-insensitive name."""
    for key, value in (entry.get("headers") or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def _upstream_entry(scenario: dict, index: Any) -> dict:
    """The scenario's upstream entry ``index``; the fixture server's 418 answer when there is none."""
    upstream = scenario.get("upstream") or []
    if isinstance(index, int) and 0 <= index < len(upstream):
        return upstream[index]
    return {"status": 418, "headers": {}}


def _where(gi: int, req: dict) -> str:
    return f"requests[{gi}] {req.get('method')} {req.get('url')}"


def _summary(req: dict) -> str:
    return f"{req.get('method')} {req.get('url')} (upstream {req.get('upstream_index')})"


def _ordered_text(value: Any) -> str:
    """JSON text that differs whenever key order, types (1 vs 1.0) or values differ."""
    return json.dumps(value, ensure_ascii=False)


def _js_equal(a: Any, b: Any) -> bool:
    """Equality as JavaScript values: numbers by value (int 1 == float 1.0), dict key order ignored."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_js_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_js_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


_LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _js_dumps(value: Any) -> str:
    """``JSON.stringify(value)``: compact, no ASCII escaping, JavaScript number formatting."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _js_number(value)
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return _LONE_SURROGATE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    if isinstance(value, list):
        return "[" + ",".join(_js_dumps(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(_js_dumps(str(k)) + ":" + _js_dumps(v) for k, v in value.items()) + "}"
    raise TypeError(f"not JSON: {type(value).__name__}")


def _js_number(x: float) -> str:
    """JavaScript ``Number.prototype.toString`` for a JSON number (NaN/Infinity as ``null``)."""
    if isinstance(x, int):
        return str(x)
    if math.isnan(x) or math.isinf(x):
        return "null"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    mantissa, _, exponent = repr(abs(x)).partition("e")
    int_part, _, frac_part = mantissa.partition(".")
    digits = (int_part + frac_part).lstrip("0")
    exp10 = (int(exponent) if exponent else 0) - len(frac_part)
    stripped = digits.rstrip("0")
    exp10 += len(digits) - len(stripped)
    k = len(stripped)
    n = exp10 + k
    if k <= n <= 21:
        return sign + stripped + "0" * (n - k)
    if 0 < n <= 21:
        return sign + stripped[:n] + "." + stripped[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + stripped
    e = n - 1
    exp_text = ("+" if e >= 0 else "-") + str(abs(e))
    return sign + stripped[0] + ("." + stripped[1:] if k > 1 else "") + "e" + exp_text


def _pretty(value: Any, sort: bool) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=sort, default=repr)


def _scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=repr)
