"""providers.sdk.google_auth for both library versions behind the goldens.

google-auth-library 10.5.0 (gtoken 8, gaxios 7, node-fetch 3) as @google/genai uses it, and 9.15.1
(gtoken 7, gaxios 6, node-fetch 2) as @anthropic-ai/vertex-sdk uses it; the expected requests are
the recorded ones (vertex/*/golden.json and anthropic-vertex/*/golden.json ``requests[0]``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from loopback import SCENARIOS, Upstream, sample_service_account
from test_gemini_support import Reply, jwt_claims

from providers.sdk.google_auth import V9, V10, CLOUD_PLATFORM_SCOPE, GaxiosError, GoogleAuth

# Headers whose values are the platform's (gl-node/… in the goldens) or the transport's.
NOT_COMPARED = {"x-goog-api-client", "host", "connection", "content-length"}


def _golden_token_request(scenario: str) -> dict[str, Any]:
    return json.loads((SCENARIOS / scenario / "golden.json").read_text())["requests"][0]


@pytest.mark.parametrize(
    ("version", "scenario", "url", "auth_header"),
    [
        (V10, "vertex/text_stream_sa_token", "https://oauth2.googleapis.com/token", "authorization"),
        (V9, "anthropic-vertex/text_stream_sa_token", "https://www.googleapis.com/oauth2/v4/token", "Authorization"),
    ],
)
async def test_token_request_as_recorded(
    upstream: Upstream, version: str, scenario: str, url: str, auth_header: str
) -> None:
    """The JWT grant: URL, headers, form fields and length as recorded; claims verified with the key."""
    upstream.token("ya29.sample")
    auth = GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], credentials=sample_service_account(), version=version)

    headers = await auth.get_request_headers()

    assert headers == {auth_header: "Bearer ya29.sample"}
    golden = _golden_token_request(scenario)
    (seen,) = upstream.seen
    assert seen.url == golden["original_url"] == url
    expected = {k: v for k, v in golden["headers"].items() if k not in NOT_COMPARED}
    assert {k: v for k, v in seen.headers.items() if k not in NOT_COMPARED} == expected
    assert seen.headers["x-goog-api-client"].startswith("gl-python/")
    assert len(seen.body) == int(golden["headers"]["content-length"])
    golden_form = dict(pair.split("=", 1) for pair in golden["body"]["raw"].split("&"))
    form = seen.form()
    assert list(form) == list(golden_form)
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    _, claims = jwt_claims(form["assertion"])
    _, golden_claims = jwt_claims(golden_form["assertion"])
    assert list(claims) == list(golden_claims)
    assert {k: v for k, v in claims.items() if k not in ("iat", "exp")} == {
        k: v for k, v in golden_claims.items() if k not in ("iat", "exp")
    }


async def test_client_carries_project_and_quota_project(upstream: Upstream) -> None:
    """JWT.fromJSON: project_id → projectId; quota_project_id → x-goog-user-project on requests."""
    upstream.token("ya29.sample")
    credentials = {**sample_service_account(), "quota_project_id": "billing-project"}
    auth = GoogleAuth(scopes="https://www.googleapis.com/auth/cloud-platform", credentials=credentials, version=V9)

    client = await auth.get_client()
    headers = await auth.get_request_headers()

    assert client.project_id == "sample-project"
    assert headers == {"Authorization": "Bearer ya29.sample", "x-goog-user-project": "billing-project"}


@pytest.mark.parametrize(
    ("version", "body", "message"),
    [
        (V10, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}, "invalid_grant: Invalid JWT Signature."),
        (V9, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}, "invalid_grant: Invalid JWT Signature."),
        (V10, {"error": "invalid_grant"}, "invalid_grant"),
    ],
)
async def test_token_error_text(upstream: Upstream, version: str, body: dict[str, Any], message: str) -> None:
    """gtoken rewrites the GaxiosError message from the body's error / error_description."""
    upstream.route("/token", Reply.json(body, status=400))
    auth = GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], credentials=sample_service_account(), version=version)
    with pytest.raises(GaxiosError) as caught:
        await auth.get_request_headers()
    assert caught.value.message == message
    assert caught.value.status == 400
    assert len(upstream.seen) == 1


@pytest.mark.parametrize(
    ("version", "message"),
    [(V10, "Request failed with status code 400"), (V9, "Request failed with status code 400")],
)
async def test_token_error_without_error_field(upstream: Upstream, version: str, message: str) -> None:
    """A JSON body without ``error``: gaxios 7's default text; gaxios 6's plus processError's object."""
    upstream.route("/token", Reply.json({"detail": "nope"}, status=400))
    auth = GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], credentials=sample_service_account(), version=version)
    with pytest.raises(GaxiosError) as caught:
        await auth.get_request_headers()
    expected = message if version == V10 else "[object Object]"
    assert caught.value.message == expected


async def test_credentials_without_client_email() -> None:
    """JWT.fromJSON: ``The incoming JSON object does not contain a client_email field``."""
    credentials = {k: v for k, v in sample_service_account().items() if k != "client_email"}
    auth = GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], credentials=credentials)
    with pytest.raises(Exception) as caught:
        await auth.get_request_headers()
    assert str(caught.value) == "The incoming JSON object does not contain a client_email field"


@pytest.mark.parametrize(
    ("version", "content_type", "accept_encoding"),
    [
        (V10, "application/x-www-form-urlencoded;charset=UTF-8", "gzip, deflate, br"),
        (V9, "application/x-www-form-urlencoded", "gzip,deflate"),
    ],
)
async def test_authorized_user_adc(
    upstream: Upstream,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    version: str,
    content_type: str,
    accept_encoding: str,
) -> None:
    """``gcloud auth application-default login`` credentials: a refresh_token grant (UserRefreshClient)."""
    adc = {
        "type": "authorized_user",
        "client_id": "764086051850-sample.apps.googleusercontent.com",
        "client_secret": "d-FL95Q19q7MQmFpd7hHD0Ty",
        "refresh_token": "1//0sample-refresh-token",
    }
    path = tmp_path / "application_default_credentials.json"
    path.write_text(json.dumps(adc))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    monkeypatch.setenv("GOOGLE_CLOUD_QUOTA_PROJECT", "quota-from-env")
    upstream.token("ya29.user-token")
    auth = GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], version=version)

    headers = await auth.get_request_headers()

    auth_name = "authorization" if version == V10 else "Authorization"
    assert headers == {auth_name: "Bearer ya29.user-token", "x-goog-user-project": "quota-from-env"}
    (seen,) = upstream.seen
    assert seen.url == "https://oauth2.googleapis.com/token"
    assert seen.form() == {
        "refresh_token": adc["refresh_token"],
        "client_id": adc["client_id"],
        "client_secret": adc["client_secret"],
        "grant_type": "refresh_token",
    }
    assert seen.headers["content-type"] == content_type
    assert seen.headers["accept"] == "*/*"
    assert seen.headers["accept-encoding"] == accept_encoding
    assert seen.headers["user-agent"] == f"google-api-nodejs-client/{version}"


async def test_concurrent_requests_share_one_token_request(upstream: Upstream) -> None:
    """OAuth2Client.refreshToken: concurrent refreshes with the same refresh token share one request."""
    import asyncio

    upstream.token("ya29.shared")
    auth = GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], credentials=sample_service_account())
    results = await asyncio.gather(*(auth.get_request_headers() for _ in range(5)))
    assert all(r == {"authorization": "Bearer ya29.shared"} for r in results)
    assert len(upstream.seen) == 1
