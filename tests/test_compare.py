"""The parity comparator (parity/compare.py) against the recorded goldens and mutations of them."""

from __future__ import annotations

import base64
import copy
import json
import math
import re
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parity.compare import Mismatch, compare, format_mismatch

SCENARIOS = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios"
NAMES = sorted(f"{p.parent.parent.name}/{p.parent.name}" for p in SCENARIOS.glob("*/*/golden.json"))
VOLATILE = {"x-amz-date", "amz-sdk-invocation-id"}
PLATFORM = {"x-stainless-os", "x-stainless-arch", "x-stainless-runtime", "x-stainless-runtime-version"}
TRANSPORT = {"host", "connection", "content-length"}
MUTATION_SETTINGS = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@cache
def _load(name: str) -> tuple[str, str]:
    return (SCENARIOS / name / "golden.json").read_text(), (SCENARIOS / name / "scenario.json").read_text()


def load(name: str) -> tuple[dict, dict, dict]:
    """(golden, a transcript identical to it, scenario), fresh copies."""
    golden_text, scenario_text = _load(name)
    return json.loads(golden_text), json.loads(golden_text), json.loads(scenario_text)


def categories(mismatches: list[Mismatch]) -> set[str]:
    return {m.category for m in mismatches}


def _targets(pick) -> list[tuple]:
    out = []
    for name in NAMES:
        golden, _, _ = load(name)
        out.extend((name, *t) for t in pick(golden))
    return out


COMPARED_HEADERS = _targets(
    lambda g: [
        (i, h)
        for i, r in enumerate(g["requests"])
        for h in r["headers"]
        if h not in VOLATILE | PLATFORM | TRANSPORT and not h.startswith(":")
    ]
)
JSON_BODIES = _targets(
    lambda g: [
        (i,)
        for i, r in enumerate(g["requests"])
        if isinstance(r["body"], dict) and len(r["body"]) > 1 and "raw" not in r["body"]
    ]
)
WITH_LENGTH = _targets(
    lambda g: [(i,) for i, r in enumerate(g["requests"]) if "content-length" in r["headers"]]
)
CHUNKS = _targets(lambda g: [(i,) for i in range(len(g["chunks"]))])
FLOATS = _targets(
    lambda g: [(i, k) for i, c in enumerate(g["chunks"]) for k, v in c.items() if isinstance(v, float)]
)
ERRORS = [n for n in NAMES if load(n)[0]["error"] is not None]
RESULTS = [n for n in NAMES if load(n)[0]["result"] is not None]
BEDROCK = [n for n in NAMES if n.startswith("bedrock/")]
TOKEN_REQUESTS = _targets(
    lambda g: [(i,) for i, r in enumerate(g["requests"]) if "assertion=" in str(r["body"].get("raw", ""))]
)
# One token request of google-auth-library 9.15.1 (anthropic-vertex) and one of 10.5.0 (vertex).
TOKEN_SAMPLES = [
    next(t for t in TOKEN_REQUESTS if t[0].startswith("anthropic-vertex/")),
    next(t for t in TOKEN_REQUESTS if t[0].startswith("vertex/")),
]


def test_there_are_74_scenarios() -> None:
    assert len(NAMES) == 74


@pytest.mark.parametrize("name", NAMES)
def test_golden_matches_itself(name: str) -> None:
    golden, transcript, scenario = load(name)
    mismatches = compare(golden, transcript, scenario)
    assert mismatches == [], "\n".join(format_mismatch(m) for m in mismatches)


# ---------------------------------------------------------------------------------------------
# Headers


@MUTATION_SETTINGS
@given(st.sampled_from(COMPARED_HEADERS))
def test_changed_header_value_is_caught(target: tuple) -> None:
    name, i, header = target
    golden, transcript, scenario = load(name)
    # prepended: a platform token (gl-node/…, os/…) is compared by prefix, so an appended
    # character would go unnoticed in 36 of the targets
    transcript["requests"][i]["headers"][header] = "x" + transcript["requests"][i]["headers"][header]
    assert categories(compare(golden, transcript, scenario)) == {"headers"}


@MUTATION_SETTINGS
@given(st.sampled_from(COMPARED_HEADERS))
def test_missing_header_is_caught(target: tuple) -> None:
    name, i, header = target
    golden, transcript, scenario = load(name)
    del transcript["requests"][i]["headers"][header]
    found = compare(golden, transcript, scenario)
    assert categories(found) == {"headers"}
    assert any(m.detail == "header missing" and m.where.endswith(f"header {header}") for m in found)


@pytest.mark.parametrize(
    "name", ["openai/text_stream_usage", "anthropic/complete_prompt", "vertex/complete_prompt"]
)
def test_extra_header_is_caught(name: str) -> None:
    golden, transcript, scenario = load(name)
    transcript["requests"][-1]["headers"]["x-extra"] = "1"
    (found,) = compare(golden, transcript, scenario)
    assert (found.category, found.detail, found.actual) == ("headers", "unexpected header", "1")


@pytest.mark.parametrize(
    ("name", "header", "value"),
    [
        ("openai/text_stream_usage", "x-stainless-os", "MacOS"),
        ("openai/text_stream_usage", "x-stainless-runtime-version", "3.11.9"),
        ("anthropic/complete_prompt", "x-stainless-arch", "arm64"),
        ("anthropic/complete_prompt", "x-stainless-runtime", "python"),
    ],
)
def test_platform_header_value_is_not_compared(name: str, header: str, value: str) -> None:
    golden, transcript, scenario = load(name)
    transcript["requests"][0]["headers"][header] = value
    assert compare(golden, transcript, scenario) == []


@pytest.mark.parametrize(
    ("name", "header", "old", "new", "ok"),
    [
        ("gemini/complete_prompt", "user-agent", "gl-node/v20.20.2", "gl-python/3.11.9", True),
        ("gemini/complete_prompt", "x-goog-api-client", "gl-node/v20.20.2", "gl-python/3.11.9", True),
        ("vertex/complete_prompt", "x-goog-api-client", "gl-node/20.20.2", "gl-python/3.11.9", True),
        ("gemini/complete_prompt", "user-agent", "google-genai-sdk/1.29.1", "google-genai-sdk/1.30.0", False),
        ("gemini/complete_prompt", "user-agent", "gl-node/v20.20.2", "gl-java/21", False),
        ("bedrock/complete_prompt", "user-agent", "os/linux#6.18.44-fc-v669", "os/darwin#23.1", True),
        ("bedrock/complete_prompt", "user-agent", "lang/js", "lang/python#3.11.9", True),
        ("bedrock/complete_prompt", "user-agent", "md/nodejs#20.20.2", "md/pyimpl#CPython", True),
        ("bedrock/complete_prompt", "user-agent", "app/RooCode#3.52.1", "app/RooCode#3.52.2", False),
        ("bedrock/complete_prompt", "user-agent", "m/N,E,e", "m/N,E", False),
        ("bedrock/complete_prompt", "user-agent", "os/linux#6.18.44-fc-v669", "linux", False),
    ],
)
def test_user_agent_tokens(name: str, header: str, old: str, new: str, ok: bool) -> None:
    golden, transcript, scenario = load(name)
    for req in transcript["requests"]:
        if old in req["headers"].get(header, ""):
            req["headers"][header] = req["headers"][header].replace(old, new)
    found = compare(golden, transcript, scenario)
    assert found == [] if ok else categories(found) == {"headers"}


# ---------------------------------------------------------------------------------------------
# Requests and bodies


@MUTATION_SETTINGS
@given(st.sampled_from(JSON_BODIES))
def test_reordered_body_keys_are_caught(target: tuple) -> None:
    name, i = target
    golden, transcript, scenario = load(name)
    body = transcript["requests"][i]["body"]
    transcript["requests"][i]["body"] = dict(reversed(list(body.items())))
    found = compare(golden, transcript, scenario)
    assert "body" in categories(found)
    assert any("different key order" in m.detail for m in found)
    # Bedrock's x-amz-content-sha256 (signed) no longer fits the re-serialised body.
    assert categories(found) <= {"body", "headers"}


@MUTATION_SETTINGS
@given(st.sampled_from(WITH_LENGTH))
def test_changed_content_length_is_caught(target: tuple) -> None:
    name, i = target
    golden, transcript, scenario = load(name)
    headers = transcript["requests"][i]["headers"]
    headers["content-length"] = str(int(headers["content-length"]) + 1)
    found = compare(golden, transcript, scenario)
    assert any(m.category == "body" and m.where.endswith("content-length") for m in found)
    # A signed content-length also breaks Bedrock's signature.
    assert categories(found) <= {"body", "headers"}


def test_int_sent_as_float_is_caught() -> None:
    golden, transcript, scenario = load("openai/text_stream_usage")
    body = transcript["requests"][0]["body"]
    key = next(k for k, v in body.items() if isinstance(v, int) and not isinstance(v, bool))
    body[key] = float(body[key])
    assert categories(compare(golden, transcript, scenario)) == {"body"}


@pytest.mark.parametrize("field", ["method", "url", "original_url"])
def test_changed_request_line_is_caught(field: str) -> None:
    golden, transcript, scenario = load("xai/text_stream_usage")
    transcript["requests"][0][field] = "PUT" if field == "method" else "/v2/responses"
    (found,) = compare(golden, transcript, scenario)
    assert (found.category, found.where) == ("requests", f"requests[0] POST /v1/responses {field}")


def test_missing_and_extra_requests_are_caught() -> None:
    golden, transcript, scenario = load("openai/retry_exhausted_503")
    transcript["requests"].pop()
    found = compare(golden, transcript, scenario)
    assert categories(found) == {"requests"}
    assert any(m.detail == "request not sent" for m in found)
    golden, transcript, scenario = load("openai/complete_prompt")
    transcript["requests"].append(dict(transcript["requests"][0], upstream_index=None, t_ms=5.0))
    found = compare(golden, transcript, scenario)
    assert categories(found) == {"requests"}
    assert any(m.detail == "unexpected request" for m in found)


def test_order_of_requests_served_by_match_entries_is_free() -> None:
    golden, transcript, scenario = load("openrouter/retry_429_then_ok")
    transcript["requests"] = [transcript["requests"][i] for i in (2, 0, 1, 3)]
    for req, t in zip(transcript["requests"], (0.0, 12.0, 16.0, 30.0), strict=True):
        req["t_ms"] = t
    assert compare(golden, transcript, scenario) == []


def test_order_of_other_requests_is_compared() -> None:
    golden, transcript, scenario = load("azure/retry_500_no_header_then_ok")
    transcript["requests"].reverse()
    found = compare(golden, transcript, scenario)
    assert "requests order" in {m.where for m in found if m.category == "requests"}


# ---------------------------------------------------------------------------------------------
# Chunks, result, error


@MUTATION_SETTINGS
@given(st.sampled_from(CHUNKS))
def test_dropped_chunk_is_caught(target: tuple) -> None:
    name, i = target
    golden, transcript, scenario = load(name)
    del transcript["chunks"][i]
    (found,) = compare(golden, transcript, scenario)
    assert found.category == "chunks"


@MUTATION_SETTINGS
@given(st.sampled_from(FLOATS), st.booleans())
def test_chunk_float_one_ulp_off_is_caught(target: tuple, up: bool) -> None:
    name, i, key = target
    golden, transcript, scenario = load(name)
    value = transcript["chunks"][i][key]
    transcript["chunks"][i][key] = math.nextafter(value, math.inf if up else -math.inf)
    (found,) = compare(golden, transcript, scenario)
    assert (found.category, found.where) == ("chunks", f"chunks[{i}]")
    assert repr(value) in format_mismatch(found)


def test_chunk_key_order_and_int_float_spelling_are_not_compared() -> None:
    golden, transcript, scenario = load("anthropic/text_stream_usage_cost")
    transcript["chunks"] = [dict(reversed(list(c.items()))) for c in transcript["chunks"]]
    usage = next(c for c in transcript["chunks"] if c["type"] == "usage")
    usage["inputTokens"] = float(usage["inputTokens"])
    assert compare(golden, transcript, scenario) == []


def test_chunk_value_type_is_compared() -> None:
    golden, transcript, scenario = load("anthropic/text_stream_usage_cost")
    usage = next(c for c in transcript["chunks"] if c["type"] == "usage")
    usage["inputTokens"] = str(usage["inputTokens"])
    assert categories(compare(golden, transcript, scenario)) == {"chunks"}


@pytest.mark.parametrize("name", RESULTS)
def test_changed_result_is_caught(name: str) -> None:
    golden, transcript, scenario = load(name)
    transcript["result"] += "."
    assert categories(compare(golden, transcript, scenario)) == {"result"}


@pytest.mark.parametrize("name", ERRORS)
def test_altered_error_text_is_caught(name: str) -> None:
    golden, transcript, scenario = load(name)
    transcript["error"]["message"] += " "
    (found,) = compare(golden, transcript, scenario)
    assert (found.category, found.where) == ("error", "error.message")


@pytest.mark.parametrize("name", ERRORS)
def test_altered_error_status_is_caught(name: str) -> None:
    golden, transcript, scenario = load(name)
    transcript["error"]["status"] = (transcript["error"]["status"] or 500) + 1
    (found,) = compare(golden, transcript, scenario)
    assert (found.category, found.where) == ("error", "error.status")


@pytest.mark.parametrize(
    ("name", "mutate", "where"),
    [
        ("anthropic/error_401_authentication", lambda e: e.update(name="APIError"), "error.name"),
        ("anthropic/error_401_authentication", lambda e: e.update(after_chunks=1), "error.after_chunks"),
        ("anthropic/error_401_authentication", lambda e: e["props"].update(status=400), "error.props.status"),
        (
            "anthropic/error_401_authentication",
            lambda e: e["props"]["error"].update(type="x"),
            "error.props.error",
        ),
        ("openai/error_401_invalid_key", lambda e: e["props"].update(code=None), "error.props.code"),
        (
            "bedrock/midstream_exception_frame",
            lambda e: e.pop("error_name_property"),
            "error.error_name_property",
        ),
    ],
)
def test_altered_error_fields_are_caught(name: str, mutate, where: str) -> None:
    golden, transcript, scenario = load(name)
    mutate(transcript["error"])
    (found,) = compare(golden, transcript, scenario)
    assert (found.category, found.where) == ("error", where)


def test_error_props_the_golden_lacks_are_informational() -> None:
    golden, transcript, scenario = load("anthropic/error_401_authentication")
    transcript["error"]["props"]["headers"] = {}
    transcript["error"]["props"]["extra"] = 1
    assert compare(golden, transcript, scenario) == []


def test_missing_and_unexpected_errors_are_caught() -> None:
    golden, transcript, scenario = load("openai/stream_socket_destroyed")
    transcript["error"] = None
    (found,) = compare(golden, transcript, scenario)
    assert (found.category, found.detail) == ("error", "no error raised, one expected")
    golden, transcript, scenario = load("openai/text_stream_usage")
    transcript["error"] = {"name": "TypeError", "message": "terminated", "status": None, "after_chunks": 4}
    (found,) = compare(golden, transcript, scenario)
    assert (found.category, found.detail) == ("error", "an error was raised, none expected")


# ---------------------------------------------------------------------------------------------
# Retry timing


def _retime(transcript: dict, index: int, gap: float) -> None:
    """Put request ``index`` ``gap`` ms after the previous one (later requests move along)."""
    reqs = transcript["requests"]
    shift = reqs[index - 1]["t_ms"] + gap - reqs[index]["t_ms"]
    for req in reqs[index:]:
        req["t_ms"] += shift


# (scenario, retried request, SDK window low, high, estimated serving time of the triggering response)
RETRY_WINDOWS = [
    ("openai/retry_429_retry_after_ms", 1, 15.0, 15.0, 0.0),  # retry-after-ms: 15
    ("openai/retry_500_no_retry_header", 1, 375.0, 500.0, 0.0),  # backoff 500·(1 − 0.25·U)
    ("azure/retry_429_then_ok", 1, 10.0, 10.0, 0.0),  # retry-after-ms wins over retry-after
    ("anthropic/retry_429_retry_after_then_ok", 1, 20.0, 20.0, 0.0),  # retry-after: 0.02 s
    ("anthropic-vertex/retry_429_quota_then_ok", 2, 10.0, 10.0, 0.0),
    ("openrouter/retry_429_then_ok", 3, 10.0, 10.0, 0.0),
    ("bedrock/throttling_429_then_ok", 1, 0.0, 500.0, 0.0),  # ThrottlingException: base 500
]


@pytest.mark.parametrize(("name", "index", "low", "high", "serving"), RETRY_WINDOWS)
def test_retry_window_edges(name: str, index: int, low: float, high: float, serving: float) -> None:
    for gap, ok in (
        (low - 5 - 0.5, False),
        (low - 5 + 0.5, True),
        (high + serving + 50 - 0.5, True),
        (high + serving + 50 + 0.5, False),
    ):
        golden, transcript, scenario = load(name)
        _retime(transcript, index, gap)
        found = compare(golden, transcript, scenario)
        assert (found == []) if ok else (categories(found) == {"timing"}), (gap, found)


@pytest.mark.parametrize(("name", "index", "low", "high", "serving"), RETRY_WINDOWS)
def test_retry_sent_too_early_or_too_late(
    name: str, index: int, low: float, high: float, serving: float
) -> None:
    for gap in (low - 20, high + serving + 200):
        golden, transcript, scenario = load(name)
        _retime(transcript, index, gap)
        (found,) = compare(golden, transcript, scenario)
        assert found.category == "timing"
        assert f"retry 1 came {gap:.1f} ms" in found.detail


def test_serving_time_widens_the_window() -> None:
    golden, transcript, scenario = load("openai/retry_429_retry_after_ms")
    _retime(transcript, 1, 15 + 50 + 100)
    assert categories(compare(golden, transcript, scenario)) == {"timing"}
    transcript["requests"][0]["t_end_ms"] = transcript["requests"][0]["t_ms"] + 101
    assert compare(golden, transcript, scenario) == []
    scenario["upstream"][0]["headers_delay_ms"] = 101
    del transcript["requests"][0]["t_end_ms"]
    assert compare(golden, transcript, scenario) == []


def test_second_retry_backoff_doubles() -> None:
    golden, transcript, scenario = load("openai/retry_exhausted_503")
    for entry in scenario["upstream"]:
        del entry["headers"]["retry-after-ms"]
    _retime(transcript, 1, 400)  # retry 1: [375, 500]
    _retime(transcript, 2, 800)  # retry 2: [750, 1000]
    assert compare(golden, transcript, scenario) == []
    _retime(transcript, 2, 700)
    (found,) = compare(golden, transcript, scenario)
    assert found.category == "timing" and "retry 2" in found.where


@pytest.mark.parametrize(
    ("headers", "low", "high"),
    [
        ({"retry-after": "0"}, 375.0, 500.0),  # zero: not taken
        ({"retry-after-ms": "60000"}, 375.0, 500.0),  # a minute or more: not taken
        ({"retry-after-ms": "abc", "retry-after": "0.1"}, 100.0, 100.0),
        ({"retry-after-ms": "0", "retry-after": "0.1"}, 100.0, 100.0),
        ({"retry-after": "2.5s"}, 2500.0, 2500.0),  # parseFloat takes the numeric prefix
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0, 60000.0),  # a date: generous
    ],
)
def test_stainless_retry_after_headers(headers: dict, low: float, high: float) -> None:
    cases = [(low, True), (high + 50, True), (high + 51, False)] + ([(low - 6, False)] if low >= 6 else [])
    for gap, ok in cases:
        golden, transcript, scenario = load("openai/retry_500_no_retry_header")
        scenario["upstream"][0]["headers"] = dict(headers)
        _retime(transcript, 1, gap)
        found = compare(golden, transcript, scenario)
        assert (found == []) if ok else (categories(found) == {"timing"}), (gap, found)


def test_x_should_retry_false_means_no_retry_to_time() -> None:
    golden, transcript, scenario = load("openai/retry_500_no_retry_header")
    scenario["upstream"][0]["headers"]["x-should-retry"] = "false"
    _retime(transcript, 1, 10_000)
    assert compare(golden, transcript, scenario) == []


def test_aws_non_throttling_error_uses_base_100() -> None:
    golden, transcript, scenario = load("bedrock/throttling_429_then_ok")
    entry = scenario["upstream"][0]
    entry["status"] = 500
    entry["headers"]["x-amzn-errortype"] = "InternalServerException:http://internal.amazon.com/"
    _retime(transcript, 1, 100 + 50 - 1)
    assert compare(golden, transcript, scenario) == []
    _retime(transcript, 1, 100 + 50 + 1)
    assert categories(compare(golden, transcript, scenario)) == {"timing"}


# ---------------------------------------------------------------------------------------------
# SigV4


@pytest.mark.parametrize("name", BEDROCK)
def test_bad_sigv4_signature_is_caught(name: str) -> None:
    golden, transcript, scenario = load(name)
    headers = transcript["requests"][0]["headers"]
    headers["authorization"] = re.sub(
        r"Signature=(.)", lambda m: "Signature=" + ("0" if m[1] != "0" else "1"), headers["authorization"]
    )
    (found,) = compare(golden, transcript, scenario)
    assert found.category == "headers" and "does not verify" in found.detail


def test_sigv4_with_other_credentials_is_caught() -> None:
    golden, transcript, scenario = load("bedrock/complete_prompt")
    scenario["settings"]["awsSecretKey"] = "another" + scenario["settings"]["awsSecretKey"][7:]
    (found,) = compare(golden, transcript, scenario)
    assert found.category == "headers" and "does not verify" in found.detail


def _as_http11(req: dict, settings_: dict, port: int = 54321, signed_host: str | None = None) -> None:
    """Rewrite a recorded HTTP/2 Bedrock request as an HTTP/1.1 port would send it, signed by botocore."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    host = f"127.0.0.1:{port}"
    headers = {
        n: v
        for n, v in req["headers"].items()
        if not n.startswith(":") and n not in ("authorization", "x-amz-date")
    }
    headers["amz-sdk-invocation-id"] = "00000000-1111-4222-8333-444444444444"
    body = json.dumps(req["body"], separators=(",", ":"), ensure_ascii=False).encode()
    aws_req = AWSRequest(method=req["method"], url=f"http://{signed_host or host}{req['url']}", data=body)
    aws_req.headers["host"] = signed_host or host
    for name, value in headers.items():
        if name != "user-agent":
            aws_req.headers[name] = value
    credentials = Credentials(settings_["awsAccessKey"], settings_["awsSecretKey"])
    SigV4Auth(credentials, "bedrock", settings_["awsRegion"]).add_auth(aws_req)
    sent = {"host": "{{BASE_HOST}}", **headers}
    sent["x-amz-date"] = aws_req.headers["X-Amz-Date"]
    sent["authorization"] = aws_req.headers["Authorization"]
    req["headers"] = sent
    req["http_version"] = "1.1"


@pytest.mark.parametrize("name", BEDROCK)
def test_http11_bedrock_transcript_is_accepted(name: str) -> None:
    golden, transcript, scenario = load(name)
    for req in transcript["requests"]:
        _as_http11(req, scenario["settings"])
    assert (
        "SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;"
        in (transcript["requests"][0]["headers"]["authorization"])
    )
    mismatches = compare(golden, transcript, scenario)
    assert mismatches == [], "\n".join(format_mismatch(m) for m in mismatches)


def test_http11_bedrock_signed_for_another_host_is_caught() -> None:
    golden, transcript, scenario = load("bedrock/complete_prompt")
    _as_http11(
        transcript["requests"][0], scenario["settings"], signed_host="bedrock-runtime.us-east-1.amazonaws.com"
    )
    (found,) = compare(golden, transcript, scenario)
    assert found.category == "headers" and "does not verify" in found.detail


def test_http11_bedrock_signing_fewer_headers_is_caught() -> None:
    golden, transcript, scenario = load("bedrock/complete_prompt")
    req = transcript["requests"][0]
    del req["headers"]["amz-sdk-request"]
    _as_http11(req, scenario["settings"])
    req["headers"]["amz-sdk-request"] = golden["requests"][0]["headers"]["amz-sdk-request"]
    found = compare(golden, transcript, scenario)
    assert {m.detail for m in found} == {"SigV4 SignedHeaders differ"}


# ---------------------------------------------------------------------------------------------
# Google token request: the JWT assertion


def _resign(raw: str, scenario: dict, change) -> str:
    """The form ``raw`` with its assertion's claims changed by ``change`` and signed again with the SA key."""
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.hashes import SHA256
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    head, _, assertion = raw.partition("&assertion=")
    header, payload, _ = assertion.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    change(claims)
    signing_input = f"{header}.{b64(json.dumps(claims, separators=(',', ':')).encode())}"
    key_pem = json.loads(scenario["settings"]["vertexJsonCredentials"])["private_key"]
    key = load_pem_private_key(key_pem.encode(), password=None)
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), SHA256())
    return f"{head}&assertion={signing_input}.{b64(signature)}"


@pytest.mark.parametrize(("name", "index"), TOKEN_REQUESTS)
def test_jwt_with_new_iat_exp_is_accepted(name: str, index: int) -> None:
    golden, transcript, scenario = load(name)
    body = transcript["requests"][index]["body"]

    def later(claims: dict) -> None:
        claims["iat"] -= 123_456
        claims["exp"] -= 123_456

    body["raw"] = _resign(body["raw"], scenario, later)
    assert body["raw"] != golden["requests"][index]["body"]["raw"]
    assert compare(golden, transcript, scenario) == []


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c.update(scope="https://www.googleapis.com/auth/cloud-platform.read-only"),
        lambda c: c.update(aud="https://oauth2.googleapis.com/token2"),
        lambda c: c.update(exp=c["exp"] + 1),  # lifetime differs
        lambda c: c.update(sub=c["iss"]),  # extra claim
        lambda c: c.update(iss=c.pop("iss")),  # claim order
    ],
)
@pytest.mark.parametrize(("name", "index"), TOKEN_SAMPLES)
def test_jwt_with_changed_claim_is_caught(name: str, index: int, change) -> None:
    golden, transcript, scenario = load(name)
    body = transcript["requests"][index]["body"]
    body["raw"] = _resign(body["raw"], scenario, change)
    found = compare(golden, transcript, scenario)
    assert any(m.category == "body" and m.where.endswith("body assertion") for m in found)
    assert categories(found) <= {"body"}


@pytest.mark.parametrize(("name", "index"), TOKEN_SAMPLES)
def test_jwt_with_forged_signature_is_caught(name: str, index: int) -> None:
    golden, transcript, scenario = load(name)
    body = transcript["requests"][index]["body"]
    head, _, signature = body["raw"].rpartition(".")
    body["raw"] = f"{head}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    (found,) = compare(golden, transcript, scenario)
    assert found.category == "body" and "signature does not verify" in found.detail


@pytest.mark.parametrize(("name", "index"), TOKEN_SAMPLES)
def test_jwt_claims_changed_without_resigning_is_caught(name: str, index: int) -> None:
    golden, transcript, scenario = load(name)
    body = transcript["requests"][index]["body"]
    resigned = _resign(body["raw"], scenario, lambda c: c.update(iat=c["iat"] + 1, exp=c["exp"] + 1))
    original_signature = body["raw"].rpartition(".")[2]
    body["raw"] = resigned.rpartition(".")[0] + "." + original_signature
    (found,) = compare(golden, transcript, scenario)
    assert found.category == "body" and "signature does not verify" in found.detail


def test_token_form_field_change_is_caught() -> None:
    golden, transcript, scenario = load("vertex/complete_prompt")
    body = transcript["requests"][0]["body"]
    body["raw"] = body["raw"].replace("grant_type=urn%3A", "grant_type=urn:")
    (found,) = compare(golden, transcript, scenario)
    assert (found.category, found.where) == ("body", "requests[0] POST /token body field grant_type")


# ---------------------------------------------------------------------------------------------
# format_mismatch


def test_format_mismatch_diffs_structures_and_lists_scalars() -> None:
    golden, transcript, scenario = load("openai/text_stream_usage")
    transcript["requests"][0]["body"]["model"] = "gpt-5"
    transcript["requests"][0]["headers"]["x-title"] = "Other"
    text = "\n".join(format_mismatch(m) for m in compare(golden, transcript, scenario))
    assert '\n-  "model": "gpt-4o",\n+  "model": "gpt-5",\n' in text
    assert 'expected: "Roo Code"\n  actual:   "Other"' in text


def test_mismatch_is_a_plain_dataclass() -> None:
    m = Mismatch("result", "result", "a", "b", "result differs")
    assert copy.copy(m) == m
    assert format_mismatch(m) == '[result] result: result differs\n  expected: "a"\n  actual:   "b"'
