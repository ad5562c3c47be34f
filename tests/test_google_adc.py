"""Application Default Credentials beyond key files: the metadata server, external accounts,
impersonated service accounts, and the project-id lookups of the ADC path.

google-auth-library 10.5.0 (gaxios 7, gcp-metadata 8) and 9.15.1 (gaxios 6, gcp-metadata 6). The
expected requests (method, URL, header names and values in arrival order, body) and error texts
were recorded from the real libraries run on Node 20 against loopback servers; the only values
that differ by runtime are ``x-goog-api-client`` (``gl-node/20.20.2`` there, ``gl-python/…``
here) and the loopback port. Hard-coded hosts (sts, iamcredentials, cloudresourcemanager,
oauth2) reach the fixture server through the transport's resolver; the metadata server is the
fixture server named by ``GCE_METADATA_HOST``, as the library allows.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

import pytest
from loopback import Reply, Seen, Upstream, collect

from providers import build_api_handler
from providers.sdk import google_auth
from providers.js.errors import JSError
from providers.sdk.google_auth import V9, V10, CLOUD_PLATFORM_SCOPE, GoogleAuth

API_CLIENT = f"gl-python/{platform.python_version()}"
NO_ADC = (
    "Could not load the default credentials. Browse to "
    "https://cloud.google.com/docs/authentication/getting-started for more information."
)
AUDIENCE = "//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/pool/providers/prov"
MD_V10 = [("accept", "*/*"), ("accept-encoding", "gzip, deflate, br"), ("metadata-flavor", "Google"),
          ("user-agent", "node-fetch")]
MD_V9 = [("metadata-flavor", "Google"), ("accept", "*/*"),
         ("user-agent", "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)"), ("accept-encoding", "gzip,deflate")]
MD_HEADERS = {V10: MD_V10, V9: MD_V9}
AUTH = {V10: "authorization", V9: "Authorization"}
FLAVOR = {"metadata-flavor": "Google"}


def headers_of(seen: Seen) -> list[tuple[str, str]]:
    """A request's headers in arrival order, without the transport's own (host, connection,
    content-length)."""
    return [(k, v) for k, v in seen.headers.items() if k not in ("host", "connection", "content-length")]


def serve(upstream: Upstream, url_regex: str, reply: Reply, times: int = 1) -> None:
    upstream.server.add(reply.entry(url_regex, times))


def text(body: str, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, {"content-type": "application/text", **FLAVOR, **(headers or {})}, [body.encode()])


@pytest.fixture
def metadata(upstream: Upstream, monkeypatch: pytest.MonkeyPatch) -> Upstream:
    """The fixture server as the metadata server; no ADC file anywhere."""
    monkeypatch.setenv("GCE_METADATA_HOST", upstream.base_url.split("://", 1)[1])
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("HOME", "/nonexistent-home")
    for name in ("GCLOUD_PROJECT", "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_QUOTA_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    return upstream


def adc_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: dict[str, Any]) -> Path:
    path = tmp_path / "adc.json"
    path.write_text(json.dumps(content))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    return path


def serve_compute(upstream: Upstream, token_reply: Reply | None = None) -> None:
    serve(upstream, r"/computeMetadata/v1/instance$", text(""))
    serve(upstream, r"/computeMetadata/v1/project/project-id$", text("md-project"))
    serve(
        upstream,
        r"/computeMetadata/v1/instance/service-accounts/default/token",
        token_reply or Reply.json({"access_token": "ya29.md", "expires_in": 3599, "token_type": "Bearer"}, headers=FLAVOR),
    )


# --- the metadata server (Compute) ------------------------------------------------------------------


@pytest.mark.parametrize("version", [V10, V9])
async def test_metadata_server_fallback(metadata: Upstream, version: str) -> None:
    """No key file, no variable: ping ``instance``, look up ``project/project-id`` (for the
    cached project id), then fetch the default service account's token with the scopes."""
    serve_compute(metadata)
    auth = GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], version=version)

    headers = await auth.get_request_headers("https://us-central1-aiplatform.googleapis.com/v1/x")

    assert headers == {AUTH[version]: "Bearer ya29.md"}
    assert await auth.get_project_id() == "md-project"
    assert [(s.method, s.path) for s in metadata.seen] == [
        ("GET", "/computeMetadata/v1/instance"),
        ("GET", "/computeMetadata/v1/project/project-id"),
        ("GET", "/computeMetadata/v1/instance/service-accounts/default/token"
                "?scopes=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcloud-platform"),
    ]
    assert all(headers_of(seen) == MD_HEADERS[version] for seen in metadata.seen)
    assert all(seen.body == b"" for seen in metadata.seen)
    client = await auth.get_client()
    assert isinstance(client, google_auth.Compute) and client.project_id is None  # the client has none


@pytest.mark.parametrize("version", [V10, V9])
@pytest.mark.parametrize(
    "ping", [text("nope", 404), Reply(200, {}, [b""])], ids=["ping-404", "ping-without-flavor"]
)
async def test_metadata_server_absent(metadata: Upstream, version: str, ping: Reply) -> None:
    """``isAvailable`` is false for a 404 or an answer without ``Metadata-Flavor: Google``."""
    serve(metadata, r"/computeMetadata/v1/instance$", ping)
    with pytest.raises(JSError) as caught:
        await GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], version=version).get_request_headers()
    assert caught.value.message == NO_ADC
    assert [s.path for s in metadata.seen] == ["/computeMetadata/v1/instance"]


# recorded: the message of the error google-auth-library throws for the token request's status
TOKEN_403 = (
    "Could not refresh access token: A Forbidden error was returned while attempting to retrieve an access "
    "token for the Compute Engine built-in service account. This may be because the Compute Engine instance "
    "does not have the correct permission scopes specified: Could not refresh access token: "
)
TOKEN_404 = (
    "Could not refresh access token: A Not Found error was returned while attempting to retrieve an accesstoken "
    "for the Compute Engine built-in service account. This may be because the Compute Engine instance does not "
    "have any permission scopes specified: Could not refresh access token: "
)


@pytest.mark.parametrize(
    ("version", "status", "reply", "message", "code"),
    [
        (V10, 403, Reply.json({"error": {"code": 403, "message": "denied", "status": "PERMISSION_DENIED"}}, 403, FLAVOR),
         TOKEN_403 + '{"error": {"code": 403, "message": "denied", "status": "PERMISSION_DENIED"}}', 403),
        (V9, 403, Reply.json({"error": {"code": 403, "message": "denied"}}, 403, FLAVOR),
         TOKEN_403 + "Request failed with status code 403", None),
        (V10, 404, text("no sa", 404), TOKEN_404 + "no sa", 404),
        (V9, 404, text("no sa", 404), TOKEN_404 + "Request failed with status code 404", None),
    ],
)
async def test_metadata_token_refused(
    metadata: Upstream, version: str, status: int, reply: Reply, message: str, code: int | None
) -> None:
    """``Compute.refreshTokenNoCache`` + ``wrapError``, then ``getRequestMetadataAsync``'s prefix."""
    serve_compute(metadata, reply)
    with pytest.raises(google_auth.GaxiosError) as caught:
        await GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], version=version).get_request_headers()
    assert (caught.value.message, caught.value.status, caught.value.code) == (message, status, code)


async def test_metadata_server_detection_variable(metadata: Upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    """``METADATA_SERVER_DETECTION``: ``none`` never pings, ``assume-present`` never pings but
    uses the server, anything else is a RangeError."""
    serve_compute(metadata)
    monkeypatch.setenv("METADATA_SERVER_DETECTION", "none")
    with pytest.raises(JSError) as caught:
        await GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE]).get_client()
    assert caught.value.message == NO_ADC
    assert metadata.seen == []

    monkeypatch.setenv("METADATA_SERVER_DETECTION", "Bogus ")
    with pytest.raises(JSError) as caught:
        await GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE]).get_client()
    assert caught.value.name == "RangeError"
    assert caught.value.message == (
        "Unknown `METADATA_SERVER_DETECTION` env variable. Got `bogus`, but it should be "
        "`assume-present`, `none`, `bios-only`, `ping-only`, or unset"
    )

    monkeypatch.setenv("METADATA_SERVER_DETECTION", "assume-present")
    headers = await GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE]).get_request_headers()
    assert headers == {"authorization": "Bearer ya29.md"}
    assert [s.path.split("?")[0] for s in metadata.seen] == [
        "/computeMetadata/v1/project/project-id", "/computeMetadata/v1/instance/service-accounts/default/token",
    ]


async def test_cloud_run_needs_no_ping(metadata: Upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    """``getGCPResidency()``: ``K_SERVICE`` (Cloud Run) means Google Cloud without a ping."""
    monkeypatch.setenv("K_SERVICE", "my-service")
    serve_compute(metadata)
    assert await GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE]).get_request_headers() == {"authorization": "Bearer ya29.md"}
    assert "/computeMetadata/v1/instance" not in [s.path for s in metadata.seen]


async def test_ping_is_cached_per_process(metadata: Upstream) -> None:
    """gcp-metadata keeps one ``isAvailable`` answer per process; a second GoogleAuth reuses it."""
    serve_compute(metadata)
    serve(metadata, r"/computeMetadata/v1/instance/service-accounts/default/token",
          Reply.json({"access_token": "ya29.md2", "expires_in": 3599}, headers=FLAVOR))
    await GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE]).get_request_headers()
    await GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE]).get_request_headers()
    assert [s.path for s in metadata.seen].count("/computeMetadata/v1/instance") == 1


# --- the project-id lookups of the ADC path ----------------------------------------------------------


async def test_project_id_from_the_environment_skips_the_metadata_server(
    metadata: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``GCLOUD_PROJECT`` / ``GOOGLE_CLOUD_PROJECT`` come first: no ``project-id`` request."""
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    serve_compute(metadata)
    auth = GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE])
    await auth.get_request_headers()
    assert await auth.get_project_id() == "env-project"
    assert "/computeMetadata/v1/project/project-id" not in [s.path for s in metadata.seen]


async def test_project_id_from_gcloud(metadata: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``gcloud config config-helper --format json``'s ``configuration.properties.core.project``
    comes before the metadata server's."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gcloud = bin_dir / "gcloud"
    gcloud.write_text(
        '#!/bin/sh\n[ "$*" = "config config-helper --format json" ] || exit 2\n'
        "echo '{\"configuration\": {\"properties\": {\"core\": {\"project\": \"gcloud-project\"}}}}'\n"
    )
    gcloud.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    serve_compute(metadata)
    auth = GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE])
    await auth.get_client()
    assert await auth.get_project_id() == "gcloud-project"
    assert "/computeMetadata/v1/project/project-id" not in [s.path for s in metadata.seen]


async def test_no_project_id_anywhere(metadata: Upstream) -> None:
    """Every lookup fails: ``getClient`` still succeeds; ``getProjectId`` says NO_PROJECT_ID_FOUND."""
    serve(metadata, r"/computeMetadata/v1/instance$", text(""))
    serve(metadata, r"/computeMetadata/v1/project/project-id$", text("not here", 404))
    auth = GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE])
    await auth.get_client()
    with pytest.raises(JSError) as caught:
        await auth.get_project_id()
    assert caught.value.message == (
        "Unable to detect a Project Id in the current environment. \n"
        "To learn more about authentication and Google APIs, visit: \n"
        "https://cloud.google.com/docs/authentication/getting-started"
    )


# --- external_account (workload identity federation) -------------------------------------------------

STS_OK = {"access_token": "sts-token", "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
          "token_type": "Bearer", "expires_in": 3600}


def sts_form(subject_token: str) -> str:
    return (
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange"
        "&audience=%2F%2Fiam.googleapis.com%2Fprojects%2F123456%2Flocations%2Fglobal%2FworkloadIdentityPools"
        "%2Fpool%2Fproviders%2Fprov&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcloud-platform"
        "&requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token"
        f"&subject_token={subject_token}&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt"
    )


def sts_headers(version: str, source: str, impersonation: bool, lifetime: bool, basic: str | None = None) -> list[tuple[str, str]]:
    metrics = (f"{API_CLIENT} auth/{version} google-byoid-sdk source/{source} "
               f"sa-impersonation/{str(impersonation).lower()} config-lifetime/{str(lifetime).lower()}")
    auth = [("authorization", f"Basic {basic}")] if basic else []
    if version == V10:
        return [("accept", "*/*"), ("accept-encoding", "gzip, deflate, br"), *auth,
                ("content-type", "application/x-www-form-urlencoded;charset=UTF-8"), ("user-agent", "node-fetch"),
                ("x-goog-api-client", metrics)]
    return [("content-type", "application/x-www-form-urlencoded"), ("x-goog-api-client", metrics), *auth,
            ("user-agent", "google-api-nodejs-client/9.15.1"), ("accept", "application/json"),
            ("accept-encoding", "gzip,deflate")]


def file_sourced(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    token_file = tmp_path / "token.txt"
    token_file.write_text("subject-token-abc")
    return {"type": "external_account", "audience": AUDIENCE,
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "credential_source": {"file": str(token_file)}, **extra}


@pytest.mark.parametrize("version", [V10, V9])
async def test_external_account_file_sourced(
    metadata: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str
) -> None:
    """The ADC lookups ask the metadata server for a project, then (no project yet) the external
    account's: STS exchange at sts.googleapis.com and ``GET`` Cloud Resource Manager; the token is
    then reused for the request headers."""
    adc_file(tmp_path, monkeypatch, file_sourced(tmp_path))
    metadata.route("sts.googleapis.com/v1/token", Reply.json(STS_OK))
    metadata.route("cloudresourcemanager.googleapis.com/v1/projects/123456",
                   Reply.json({"projectNumber": "123456", "projectId": "crm-project"}))
    auth = GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], version=version)

    assert await auth.get_request_headers() == {AUTH[version]: "Bearer sts-token"}
    client = await auth.get_client()
    assert client.project_id == "crm-project"

    md, sts, crm = metadata.seen
    assert (md.method, md.path) == ("GET", "/computeMetadata/v1/project/project-id")
    assert (sts.method, sts.url) == ("POST", "https://sts.googleapis.com/v1/token")
    assert headers_of(sts) == sts_headers(version, "file", False, False)
    assert sts.body.decode() == sts_form("subject-token-abc")
    assert (crm.method, crm.url) == ("GET", "https://cloudresourcemanager.googleapis.com/v1/projects/123456")
    if version == V10:
        assert headers_of(crm) == [("accept", "*/*"), ("accept-encoding", "gzip, deflate, br"),
                                   ("authorization", "Bearer sts-token"),
                                   ("user-agent", "google-api-nodejs-client/10.5.0"), ("x-goog-api-client", API_CLIENT)]
    else:
        assert headers_of(crm) == [("authorization", "Bearer sts-token"),
                                   ("user-agent", "google-api-nodejs-client/9.15.1"), ("x-goog-api-client", API_CLIENT),
                                   ("accept", "application/json"), ("accept-encoding", "gzip,deflate")]


@pytest.mark.parametrize("version", [V10, V9])
async def test_external_account_url_sourced_with_impersonation(
    metadata: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str
) -> None:
    """A JSON subject token from a URL (with its configured headers), the STS exchange for the
    cloud-platform scope, then ``generateAccessToken`` with the configured lifetime; the quota
    project rides along. ``GOOGLE_CLOUD_PROJECT`` spares the project lookups."""
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    impersonation = ("https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/"
                     "sa@proj.iam.gserviceaccount.com:generateAccessToken")
    adc_file(tmp_path, monkeypatch, {
        "type": "external_account", "audience": AUDIENCE, "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "credential_source": {"url": f"{metadata.base_url}/subject", "headers": {"Metadata": "True", "X-Extra": "x"},
                              "format": {"type": "json", "subject_token_field_name": "access_token"}},
        "service_account_impersonation_url": impersonation,
        "service_account_impersonation": {"token_lifetime_seconds": 600}, "quota_project_id": "quota-p",
    })
    metadata.route("/subject", Reply.json({"access_token": "subject-from-url"}))
    metadata.route("sts.googleapis.com/v1/token", Reply.json(STS_OK))
    metadata.route(":generateAccessToken",
                   Reply.json({"accessToken": "ya29.impersonated", "expireTime": "2030-01-01T00:00:00Z"}))

    headers = await GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], version=version).get_request_headers()

    assert headers == {AUTH[version]: "Bearer ya29.impersonated", "x-goog-user-project": "quota-p"}
    subject, sts, iam = metadata.seen
    assert (subject.method, subject.path, sts.url, iam.url) == ("GET", "/subject", "https://sts.googleapis.com/v1/token",
                                                                 impersonation)
    assert headers_of(sts) == sts_headers(version, "url", True, True)
    assert sts.body.decode() == sts_form("subject-from-url")
    assert iam.body == b'{"scope":["https://www.googleapis.com/auth/cloud-platform"],"lifetime":"600s"}'
    if version == V10:
        assert headers_of(subject) == [("accept", "*/*"), ("accept-encoding", "gzip, deflate, br"), ("metadata", "True"),
                                       ("user-agent", "google-api-nodejs-client/10.5.0"), ("x-extra", "x"),
                                       ("x-goog-api-client", API_CLIENT)]
        assert headers_of(iam) == [("accept", "*/*"), ("accept-encoding", "gzip, deflate, br"),
                                   ("authorization", "Bearer sts-token"), ("content-type", "application/json"),
                                   ("user-agent", "google-api-nodejs-client/10.5.0"), ("x-goog-api-client", API_CLIENT)]
    else:
        assert headers_of(subject) == [("metadata", "True"), ("x-extra", "x"),
                                       ("user-agent", "google-api-nodejs-client/9.15.1"), ("x-goog-api-client", API_CLIENT),
                                       ("accept", "application/json"), ("accept-encoding", "gzip,deflate")]
        assert headers_of(iam) == [("content-type", "application/json"), ("authorization", "Bearer sts-token"),
                                   ("user-agent", "google-api-nodejs-client/9.15.1"), ("x-goog-api-client", API_CLIENT),
                                   ("accept", "application/json"), ("accept-encoding", "gzip,deflate")]


@pytest.mark.parametrize(("version", "code"), [(V10, 400), (V9, None)])
async def test_external_account_sts_error(
    metadata: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str, code: int | None
) -> None:
    """``getErrorFromOAuthErrorResponse``: ``Error code E: description``; a client id authenticates
    the exchange with HTTP Basic."""
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    adc_file(tmp_path, monkeypatch, file_sourced(tmp_path, client_id="cid", client_secret="csecret"))
    metadata.route("sts.googleapis.com", Reply.json({"error": "invalid_grant", "error_description": "bad subject"}, 400))
    with pytest.raises(JSError) as caught:
        await GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], version=version).get_request_headers()
    assert (caught.value.message, caught.value.name, caught.value.status, caught.value.code) == (
        "Error code invalid_grant: bad subject", "Error", 400, code
    )
    (sts,) = metadata.seen
    assert headers_of(sts) == sts_headers(version, "file", False, False, basic="Y2lkOmNzZWNyZXQ=")


async def test_external_account_subject_file_missing(
    metadata: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    missing = tmp_path / "missing.txt"
    adc_file(tmp_path, monkeypatch, {**file_sourced(tmp_path), "credential_source": {"file": str(missing)}})
    with pytest.raises(JSError) as caught:
        await GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE]).get_request_headers()
    assert (caught.value.message, caught.value.code) == (
        f"The file at {missing} does not exist, or it is not a file. ENOENT: no such file or directory, lstat '{missing}'",
        "ENOENT",
    )
    assert metadata.seen == []


async def test_external_account_token_refreshed_near_expiry(
    metadata: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The STS token is reused until 5 minutes before ``expires_in`` runs out (injected clock)."""
    now = [1_800_000_000.0]
    monkeypatch.setattr(google_auth, "clock", lambda: now[0])
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    adc_file(tmp_path, monkeypatch, file_sourced(tmp_path))
    metadata.route("sts.googleapis.com", Reply.json(STS_OK), Reply.json({**STS_OK, "access_token": "sts-2"}))
    auth = GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE])

    assert await auth.get_request_headers() == {"authorization": "Bearer sts-token"}
    now[0] += 3600 - 300 - 1
    assert await auth.get_request_headers() == {"authorization": "Bearer sts-token"}
    now[0] += 1
    assert await auth.get_request_headers() == {"authorization": "Bearer sts-2"}
    assert len(metadata.requests_to("sts.googleapis.com")) == 2


# recorded: the subject tokens google-auth-library builds at 2027-01-15T08:00:00.123Z
AWS_SIGNATURE_IMDS = "3cc5edecb8f23613214dc9c12bbff8a8cf8103ce94119f0ce6dd7f8f8b9dd3c2"
AWS_SIGNATURE_ENV = "9e41dc78729bc1728239bf5ba41c3bc7d96c1b2d5a98440c12f11f4cdc3eb0c0"


def aws_subject(version: str, region: str, key_id: str, signature: str, token: str | None) -> list[dict[str, str]]:
    signed = "host;x-amz-date;x-amz-security-token" if token else "host;x-amz-date"
    authorization = (f"AWS4-HMAC-SHA256 Credential={key_id}/20270115/{region}/sts/aws4_request, "
                     f"SignedHeaders={signed}, Signature={signature}")
    session = [("x-amz-security-token", token)] if token else []
    if version == V10:
        pairs = [("authorization", authorization), ("host", f"sts.{region}.amazonaws.com"),
                 ("x-amz-date", "20270115T080000Z"), *session, ("x-goog-cloud-target-resource", AUDIENCE)]
    else:
        pairs = [("x-goog-cloud-target-resource", AUDIENCE), ("x-amz-date", "20270115T080000Z"),
                 ("Authorization", authorization), ("host", f"sts.{region}.amazonaws.com"), *session]
    return [{"key": k, "value": v} for k, v in pairs]


def aws_config(metadata: Upstream, **source: str) -> dict[str, Any]:
    return {"type": "external_account", "audience": AUDIENCE,
            "subject_token_type": "urn:ietf:params:aws:token-type:aws4_request",
            "credential_source": {"environment_id": "aws1", **source, "regional_cred_verification_url":
                                  "https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15"}}


def sts_subject_token(seen: Seen) -> Any:
    from urllib.parse import unquote

    return json.loads(unquote(seen.form()["subject_token"]))


@pytest.mark.parametrize("version", [V10, V9])
async def test_external_account_aws_from_the_instance_metadata(
    metadata: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str
) -> None:
    """IMDSv2: a session token (asked for twice), the zone (minus its letter), the role, its
    keys; the subject token is a SigV4-signed GetCallerIdentity request, as recorded."""
    monkeypatch.setattr(google_auth, "clock", lambda: 1_800_000_000.123)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    base = metadata.base_url
    adc_file(tmp_path, monkeypatch, aws_config(
        metadata, region_url=f"{base}/latest/meta-data/placement/availability-zone",
        url=f"{base}/latest/meta-data/iam/security-credentials", imdsv2_session_token_url=f"{base}/latest/api/token"))
    plain = {"content-type": "text/plain"}
    serve(metadata, r"/latest/api/token$", Reply(200, plain, [b"imds-session"]), times=2)
    serve(metadata, r"availability-zone$", Reply(200, plain, [b"us-east-2b"]))
    serve(metadata, r"security-credentials$", Reply(200, plain, [b"my-role"]))
    serve(metadata, r"security-credentials/my-role$", Reply.json(
        {"AccessKeyId": "AKIDEXAMPLE", "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "Token": "session-tok"}))
    metadata.route("sts.googleapis.com", Reply.json({"access_token": "sts-aws", "expires_in": 3600}))

    assert await GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], version=version).get_request_headers() == {
        AUTH[version]: "Bearer sts-aws"
    }

    *imds, sts = metadata.seen
    assert [(s.method, s.path) for s in imds] == [
        ("PUT", "/latest/api/token"), ("GET", "/latest/meta-data/placement/availability-zone"),
        ("PUT", "/latest/api/token"), ("GET", "/latest/meta-data/iam/security-credentials"),
        ("GET", "/latest/meta-data/iam/security-credentials/my-role"),
    ]
    if version == V10:
        assert headers_of(imds[0]) == [("accept", "*/*"), ("accept-encoding", "gzip, deflate, br"),
                                       ("user-agent", "google-api-nodejs-client/10.5.0"),
                                       ("x-aws-ec2-metadata-token-ttl-seconds", "300"), ("x-goog-api-client", API_CLIENT)]
        assert headers_of(imds[4]) == [("accept", "*/*"), ("accept-encoding", "gzip, deflate, br"),
                                       ("user-agent", "google-api-nodejs-client/10.5.0"),
                                       ("x-aws-ec2-metadata-token", "imds-session"), ("x-goog-api-client", API_CLIENT)]
    else:
        assert headers_of(imds[0]) == [("x-aws-ec2-metadata-token-ttl-seconds", "300"),
                                       ("user-agent", "google-api-nodejs-client/9.15.1"), ("x-goog-api-client", API_CLIENT),
                                       ("accept", "*/*"), ("accept-encoding", "gzip,deflate")]
        assert headers_of(imds[4]) == [("x-aws-ec2-metadata-token", "imds-session"),
                                       ("user-agent", "google-api-nodejs-client/9.15.1"), ("x-goog-api-client", API_CLIENT),
                                       ("accept", "application/json"), ("accept-encoding", "gzip,deflate")]
    assert headers_of(sts) == sts_headers(version, "aws", False, False)
    assert sts_subject_token(sts) == {
        "url": "https://sts.us-east-2.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15", "method": "POST",
        "headers": aws_subject(version, "us-east-2", "AKIDEXAMPLE", AWS_SIGNATURE_IMDS, "session-tok"),
    }
    assert len(sts.body) == 1551  # recorded (both versions)


@pytest.mark.parametrize("version", [V10, V9])
async def test_external_account_aws_from_the_environment(
    metadata: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str
) -> None:
    """``AWS_REGION`` and the ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` pair: no metadata."""
    monkeypatch.setattr(google_auth, "clock", lambda: 1_800_000_000.123)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secretenv")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    adc_file(tmp_path, monkeypatch, aws_config(metadata))
    metadata.route("sts.googleapis.com", Reply.json({"access_token": "sts-aws", "expires_in": 3600}))

    await GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], version=version).get_request_headers()

    (sts,) = metadata.seen
    assert sts_subject_token(sts)["headers"] == aws_subject(version, "eu-west-1", "AKIDENV", AWS_SIGNATURE_ENV, None)
    assert len(sts.body) == 1413  # recorded (both versions)


# --- external_account_authorized_user ----------------------------------------------------------------


@pytest.mark.parametrize("version", [V10, V9])
async def test_external_account_authorized_user(
    metadata: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str
) -> None:
    """A workforce user's refresh token, traded at sts.googleapis.com/v1/oauthtoken with the
    client as HTTP Basic; a new refresh token in the answer replaces the old one."""
    now = [1_800_000_000.0]
    monkeypatch.setattr(google_auth, "clock", lambda: now[0])
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    adc_file(tmp_path, monkeypatch, {
        "type": "external_account_authorized_user",
        "audience": "//iam.googleapis.com/locations/global/workforcePools/wfp/providers/prov",
        "refresh_token": "refresh-x", "token_info_url": "https://sts.googleapis.com/v1/introspect",
        "client_id": "cid", "client_secret": "csec", "quota_project_id": "qp",
    })
    metadata.route("sts.googleapis.com/v1/oauthtoken",
                   Reply.json({"access_token": "ya29.eau", "expires_in": 3600, "refresh_token": "refresh-2"}),
                   Reply.json({"access_token": "ya29.eau2", "expires_in": 3600}))
    auth = GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], version=version)

    assert await auth.get_request_headers() == {AUTH[version]: "Bearer ya29.eau", "x-goog-user-project": "qp"}
    now[0] += 3600 - 300
    assert await auth.get_request_headers() == {AUTH[version]: "Bearer ya29.eau2", "x-goog-user-project": "qp"}

    first, second = metadata.seen
    assert first.url == "https://sts.googleapis.com/v1/oauthtoken"
    assert first.body == b"grant_type=refresh_token&refresh_token=refresh-x"
    assert second.body == b"grant_type=refresh_token&refresh_token=refresh-2"
    if version == V10:
        assert headers_of(first) == [
            ("accept", "*/*"), ("accept-encoding", "gzip, deflate, br"), ("authorization", "Basic Y2lkOmNzZWM="),
            ("content-type", "application/x-www-form-urlencoded;charset=UTF-8"),
            ("user-agent", "google-api-nodejs-client/10.5.0"), ("x-goog-api-client", API_CLIENT),
        ]
    else:
        assert headers_of(first) == [
            ("content-type", "application/x-www-form-urlencoded"), ("authorization", "Basic Y2lkOmNzZWM="),
            ("user-agent", "google-api-nodejs-client/9.15.1"), ("x-goog-api-client", API_CLIENT),
            ("accept", "application/json"), ("accept-encoding", "gzip,deflate"),
        ]


@pytest.mark.parametrize(("version", "code"), [(V10, 400), (V9, None)])
async def test_external_account_authorized_user_refused(
    metadata: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str, code: int | None
) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    adc_file(tmp_path, monkeypatch, {"type": "external_account_authorized_user", "refresh_token": "refresh-x",
                                     "client_id": "cid", "client_secret": "csec"})
    metadata.route("sts.googleapis.com/v1/oauthtoken", Reply.json(
        {"error": "invalid_grant", "error_description": "expired", "error_uri": "https://x/doc"}, 400))
    with pytest.raises(JSError) as caught:
        await GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], version=version).get_request_headers()
    assert (caught.value.message, caught.value.status, caught.value.code) == (
        "Error code invalid_grant: expired - https://x/doc", 400, code
    )


# --- impersonated_service_account ---------------------------------------------------------------------

TARGET = "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/target@proj.iam.gserviceaccount.com"


def impersonated(**extra: Any) -> dict[str, Any]:
    return {"type": "impersonated_service_account",
            "service_account_impersonation_url": f"{TARGET}:generateAccessToken",
            "source_credentials": {"type": "authorized_user", "client_id": "cid", "client_secret": "csec",
                                   "refresh_token": "rtok"}, **extra}


@pytest.mark.parametrize("version", [V10, V9])
async def test_impersonated_service_account(
    metadata: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str
) -> None:
    """The source (authorized_user) refreshes at oauth2.googleapis.com, then its token asks IAM
    Credentials for the target's, with the delegates, the scopes and a 3600 s lifetime."""
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    adc_file(tmp_path, monkeypatch, impersonated(delegates=["d1@proj.iam.gserviceaccount.com"]))
    metadata.token("ya29.source")
    metadata.route(":generateAccessToken", Reply.json({"accessToken": "ya29.target", "expireTime": "2030-01-01T00:00:00Z"}))

    headers = await GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], version=version).get_request_headers()

    assert headers == {AUTH[version]: "Bearer ya29.target"}
    token, iam = metadata.seen
    assert token.url == "https://oauth2.googleapis.com/token"
    assert token.body == b"refresh_token=rtok&client_id=cid&client_secret=csec&grant_type=refresh_token"
    assert iam.url == f"{TARGET}:generateAccessToken"
    assert iam.body == (b'{"delegates":["d1@proj.iam.gserviceaccount.com"],'
                        b'"scope":["https://www.googleapis.com/auth/cloud-platform"],"lifetime":"3600s"}')
    if version == V10:
        assert headers_of(iam) == [("accept", "*/*"), ("accept-encoding", "gzip, deflate, br"),
                                   ("authorization", "Bearer ya29.source"), ("content-type", "application/json"),
                                   ("user-agent", "google-api-nodejs-client/10.5.0"), ("x-goog-api-client", API_CLIENT)]
    else:
        assert headers_of(iam) == [("authorization", "Bearer ya29.source"),
                                   ("user-agent", "google-api-nodejs-client/9.15.1"), ("x-goog-api-client", API_CLIENT),
                                   ("content-type", "application/json"), ("accept", "*/*"),
                                   ("accept-encoding", "gzip,deflate")]


@pytest.mark.parametrize(
    ("version", "reply", "message", "code"),
    [
        (V10, Reply.json({"error": {"code": 403, "message": "Permission iam.serviceAccounts.getAccessToken denied",
                                    "status": "PERMISSION_DENIED"}}, 403),
         "Could not refresh access token: PERMISSION_DENIED: unable to impersonate: "
         "Permission iam.serviceAccounts.getAccessToken denied", 403),
        (V9, Reply.json({"error": {"code": 403, "message": "Permission iam.serviceAccounts.getAccessToken denied",
                                   "status": "PERMISSION_DENIED"}}, 403),
         "Could not refresh access token: PERMISSION_DENIED: unable to impersonate: "
         "Permission iam.serviceAccounts.getAccessToken denied", 403),
        (V10, Reply(400, {"content-type": "text/plain"}, [b"bad"]), "unable to impersonate: Error: bad", 400),
        (V9, Reply(400, {"content-type": "text/plain"}, [b"bad"]), "unable to impersonate: Error: bad", None),
    ],
)
async def test_impersonation_refused(
    metadata: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str, reply: Reply, message: str,
    code: int | None,
) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    adc_file(tmp_path, monkeypatch, impersonated())
    metadata.token("ya29.source")
    metadata.route(":generateAccessToken", reply)
    with pytest.raises(google_auth.GaxiosError) as caught:
        await GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], version=version).get_request_headers()
    assert (caught.value.message, caught.value.status, caught.value.code) == (message, reply.status, code)


async def test_impersonation_url_without_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    adc_file(tmp_path, monkeypatch, impersonated(service_account_impersonation_url="https://iamcredentials.googleapis.com/v1/nothing"))
    with pytest.raises(JSError) as caught:
        await GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE]).get_client()
    assert (caught.value.name, caught.value.message) == (
        "RangeError", "Cannot extract target principal from https://iamcredentials.googleapis.com/v1/nothing"
    )


# --- through the handlers -----------------------------------------------------------------------------


async def test_vertex_handler_on_the_metadata_server(metadata: Upstream) -> None:
    """Vertex (@google/genai) on GCE / Cloud Run without a key: the metadata server's token."""
    serve_compute(metadata)
    metadata.route("aiplatform", Reply.json({"candidates": [{"content": {"parts": [{"text": "pong"}], "role": "model"},
                                                             "finishReason": "STOP"}]}))
    handler = build_api_handler({"apiProvider": "vertex", "apiModelId": "gemini-2.5-flash",
                                 "vertexProjectId": "sample-project", "vertexRegion": "us-central1"})
    assert await handler.complete_prompt("ping") == "pong"
    (call,) = metadata.requests_to("aiplatform")
    assert call.headers["authorization"] == "Bearer ya29.md"


async def test_anthropic_vertex_handler_with_an_external_account(
    metadata: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Claude on Vertex (google-auth-library 9.15.1) with a workload-identity ADC file."""
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    adc_file(tmp_path, monkeypatch, file_sourced(tmp_path))
    metadata.route("sts.googleapis.com", Reply.json(STS_OK))
    metadata.route("aiplatform", Reply.json({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4@20250514",
        "content": [{"type": "text", "text": "pong"}], "stop_reason": "end_turn",
        "usage": {"input_tokens": 3, "output_tokens": 1}}))
    handler = build_api_handler({"apiProvider": "vertex", "apiModelId": "claude-sonnet-4@20250514",
                                 "vertexProjectId": "sample-project", "vertexRegion": "us-east5"})
    assert await handler.complete_prompt("ping") == "pong"
    (call,) = metadata.requests_to("aiplatform")
    assert call.headers["authorization"] == "Bearer sts-token"
    assert call.url.startswith("https://us-east5-aiplatform.googleapis.com/v1/projects/sample-project/")


# --- self-signed JWTs (JWTAccess) ---------------------------------------------------------------------


@pytest.mark.parametrize("version", [V10, V9])
async def test_self_signed_jwt_outside_googleapis_com(
    upstream: Upstream, monkeypatch: pytest.MonkeyPatch, version: str
) -> None:
    """A service account of another universe signs its own token: no request; header and claims
    as recorded (``kid``; ``scope`` instead of ``aud`` since scopes are given), re-signed only
    within 5 minutes of ``exp``."""
    from loopback import sample_service_account
    from test_gemini_support import jwt_claims

    now = [1_796_328_542.25]
    monkeypatch.setattr(google_auth, "clock", lambda: now[0])
    credentials = {**sample_service_account(), "universe_domain": "example.com"}
    auth = GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], credentials=credentials, version=version)

    first = await auth.get_request_headers("https://us-central1-aiplatform.example.com/v1/x")

    header, claims = jwt_claims(first[AUTH[version]].removeprefix("Bearer "))
    assert header == {"alg": "RS256", "typ": "JWT", "kid": credentials["private_key_id"]}
    assert list(claims.items()) == [
        ("iss", credentials["client_email"]), ("sub", credentials["client_email"]),
        ("scope", CLOUD_PLATFORM_SCOPE), ("exp", 1796332142), ("iat", 1796328542),
    ]
    now[0] += 3600 - 300 - 1
    assert await auth.get_request_headers("https://us-central1-aiplatform.example.com/v1/x") == first
    now[0] += 1
    renewed = await auth.get_request_headers("https://us-central1-aiplatform.example.com/v1/x")
    assert jwt_claims(renewed[AUTH[version]].removeprefix("Bearer "))[1]["iat"] == 1796328542 + 3300
    assert upstream.seen == []
